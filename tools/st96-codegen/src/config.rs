//! The xsd-parser configuration, with the workarounds for xsd-parser 1.5.2's measured pitfalls.

use anyhow::Result;
use xsd_parser::config::{
    Config, GeneratorFlags, IdentType, InterpreterFlags, Namespace, OptimizerFlags, ParserFlags,
    RendererFlags, Resolver, Schema,
};
use xsd_parser::models::meta::CustomMeta;
use xsd_parser::pipeline::renderer::NamespaceSerialization;

use crate::schema_set::SchemaSet;

/// Namespace of WIPO ST.96 Common.
pub const NS_COM: &str = "http://www.wipo.int/standards/XMLSchema/ST96/Common";
/// Namespace of WIPO ST.96 Design.
pub const NS_DGN: &str = "http://www.wipo.int/standards/XMLSchema/ST96/Design";
/// MathML 3 as used by ST.96.
pub const NS_MATHML: &str = "http://www.w3.org/1998/Math/MathML3";

/// Path of the hand-written runtime types, as seen from the generated code. `crate::...` paths
/// break inside the generated modules, so the crate refers to itself by name
/// (`extern crate self as st96;` in lib.rs).
pub const TYPES: &str = "st96::types";

/// XSD built-ins mapped to our own text-keeping, validating types.
pub const BUILTINS: &[(&str, &str)] = &[
    // xsd-parser maps xs:decimal to f64, which turns `160.70` into `160.7`.
    ("decimal", "Decimal"),
    ("date", "Date"),
    ("dateTime", "DateTime"),
    ("gYear", "GYear"),
    ("gYearMonth", "GYearMonth"),
];

/// Elements kept as opaque, byte-faithful XML instead of typed models.
pub const OPAQUE_ELEMENTS: &[(&str, &str)] = &[
    // MathML: 70 % of the typed code and recursive types that break release builds.
    (NS_MATHML, "math"),
    // OASIS Exchange tables (`tbl:` base types) with ST.96 cell content.
    (NS_COM, "IPOASISTable"),
];

/// Builds the configuration for one feature.
pub fn build(set: &SchemaSet, roots: &[&str]) -> Result<Config> {
    let mut config = Config::default();

    config.parser.resolver = vec![Resolver::File];
    config.parser.flags = ParserFlags::RESOLVE_INCLUDES | ParserFlags::DEFAULT_NAMESPACES;
    config.parser.schemas = set.files.iter().cloned().map(Schema::File).collect();

    config.interpreter.flags = InterpreterFlags::BUILDIN_TYPES
        | InterpreterFlags::DEFAULT_TYPEDEFS
        | InterpreterFlags::WITH_XS_ANY_TYPE;
    for (xs, ours) in BUILTINS {
        config = config.with_type(
            (IdentType::Type, Namespace::XS, *xs),
            CustomMeta::new(*ours).include_from(format!("{TYPES}::{ours}")),
        );
    }
    for (ns, name) in OPAQUE_ELEMENTS {
        config = config.with_type(
            (IdentType::Element, Namespace::new(ns.as_bytes()), *name),
            CustomMeta::new("OpaqueXml").include_from(format!("{TYPES}::OpaqueXml")),
        );
    }

    // Not USE_UNRESTRICTED_BASE_TYPE_* (drops xs:pattern checks), not FLATTEN_COMPLEX_TYPES
    // (sequences become one enum list), not REMOVE_DUPLICATES (known to misbehave).
    config.optimizer.flags = OptimizerFlags::REMOVE_EMPTY_ENUM_VARIANTS
        | OptimizerFlags::REMOVE_EMPTY_ENUMS
        | OptimizerFlags::REMOVE_DUPLICATE_UNION_VARIANTS
        | OptimizerFlags::REMOVE_EMPTY_UNIONS
        | OptimizerFlags::RESOLVE_TYPEDEFS;

    config.generator.flags = GeneratorFlags::USE_MODULES
        | GeneratorFlags::MIXED_TYPE_SUPPORT
        | GeneratorFlags::FLATTEN_CONTENT;

    config.renderer.flags = RendererFlags::RENDER_DOCS;
    config = config
        .with_generate(
            roots
                .iter()
                .map(|r| (IdentType::Element, Namespace::new(NS_DGN.as_bytes()), *r)),
        )
        .with_quick_xml_config(NamespaceSerialization::Global, None, true)
        .with_derive(["Debug", "Clone", "PartialEq"]);
    // Our recursive-descent readers (the fast path of `st96::fast`).
    config
        .renderer
        .steps
        .push(Box::new(crate::fast::FastParseStep::new(
            set.positive.clone(),
        )));
    Ok(config)
}
