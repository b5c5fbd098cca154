//! A render step that generates the fast path: recursive-descent readers (`st96::fast`).
//!
//! For every complex type it emits `impl st96::fast::FastParse` (element types) or
//! `impl st96::fast::FastGroup` (inline sequence and choice groups). Constructs the fast path does
//! not cover (`xs:any`, `xs:all`, dynamic types, fixed-size lists) get an impl that gives up at
//! once, or, as a branch or optional member of a type that is covered, give up when they occur;
//! the caller then falls back to xsd-parser's deserializer.
//! See `crates/st96/src/fast.rs` for the runtime and the contract.

use std::collections::HashSet;

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use xsd_parser::models::TypeIdent;
use xsd_parser::models::data::{
    ComplexData, ComplexDataAttribute, ComplexDataElement, ComplexDataEnum, ComplexDataStruct,
    DataTypeVariant, DataTypes, Occurs, StructMode, TagName,
};
use xsd_parser::models::meta::{ElementMetaVariant, ElementMode};
use xsd_parser::models::schema::xs::{FormChoiceType, Use};
use xsd_parser::pipeline::renderer::{Context, RenderStep, RenderStepType};

use crate::config::{NS_COM, NS_DGN, NS_MATHML};
use crate::schema_set::PositiveIntegers;

/// The render step (add it to the renderer's steps).
#[derive(Debug, Clone, Default)]
pub struct FastParseStep {
    /// Types some element refers to as an inline group (filled on the first type).
    groups: Option<HashSet<TypeIdent>>,
    /// What the schemas type `xs:positiveInteger`.
    positive: PositiveIntegers,
}

impl FastParseStep {
    /// The step, knowing the `xs:positiveInteger` elements, attributes and contents.
    pub fn new(positive: PositiveIntegers) -> Self {
        Self {
            groups: None,
            positive,
        }
    }
}

/// `PeriodType` and `period_type` both become `periodtype`.
fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

thread_local! {
    /// The `xs:positiveInteger` names of the step being rendered (the render functions are
    /// free functions; the step sets this before each type).
    static POSITIVE: std::cell::RefCell<PositiveIntegers> =
        std::cell::RefCell::new(PositiveIntegers::default());
}

fn positive_element(name: &str) -> bool {
    POSITIVE.with(|p| p.borrow().elements.iter().any(|e| e == name))
}

fn positive_attribute(name: &str) -> bool {
    POSITIVE.with(|p| p.borrow().attributes.iter().any(|e| e == name))
}

fn positive_content(type_ident: &str) -> bool {
    let want = squash(type_ident);
    POSITIVE.with(|p| p.borrow().contents.iter().any(|e| squash(e) == want))
}

impl RenderStep for FastParseStep {
    fn render_step_type(&self) -> RenderStepType {
        RenderStepType::ExtraImpls
    }

    fn render_type(&mut self, ctx: &mut Context<'_, '_>) {
        let data = ctx.data;
        let groups = self
            .groups
            .get_or_insert_with(|| group_types(ctx.meta.types));
        let as_group = groups.contains(ctx.ident);
        POSITIVE.with(|p| p.replace(self.positive.clone()));
        if let DataTypeVariant::Complex(complex) = &data.variant {
            let code = render_complex(ctx, complex, as_group);
            ctx.current_module().append(code);
        }
    }
}

/// Every type referred to by an element in group mode (a group read inline in its parent).
fn group_types(types: &DataTypes<'_>) -> HashSet<TypeIdent> {
    fn visit(c: &ComplexData<'_>, out: &mut HashSet<TypeIdent>) {
        let (elements, content): (&[ComplexDataElement<'_>], _) = match c {
            ComplexData::Enum {
                type_,
                content_type,
            } => (&type_.elements, content_type),
            ComplexData::Struct {
                type_,
                content_type,
            } => (type_.elements(), content_type),
        };
        for el in elements {
            if let ElementMetaVariant::Type {
                type_,
                mode: ElementMode::Group,
            } = &el.meta().variant
            {
                out.insert(type_.clone());
            }
        }
        if let Some(content) = content {
            visit(content, out);
        }
    }
    let mut out = HashSet::new();
    for data in types.items.values() {
        if let DataTypeVariant::Complex(c) = &data.variant {
            visit(c, &mut out);
        }
    }
    out
}

fn render_complex(ctx: &Context<'_, '_>, complex: &ComplexData<'_>, as_group: bool) -> TokenStream {
    let (main, content) = match complex {
        ComplexData::Enum {
            type_,
            content_type,
        } => (render_enum(ctx, type_, as_group), content_type),
        ComplexData::Struct {
            type_,
            content_type,
        } => (render_struct(ctx, type_, as_group), content_type),
    };
    let content = content
        .as_ref()
        .map(|c| render_complex(ctx, c, false))
        .unwrap_or_default();
    quote!(#main #content)
}

/// What reading one occurrence of an element takes.
enum Kind {
    /// Text through `DeserializeBytes`.
    Simple,
    /// `FastParse` (a complex type read from its own element).
    Element,
    /// `FastGroup` (a group read inline).
    Group,
    /// Not covered: give up.
    Unsupported,
}

/// Follows references to the type that is rendered.
fn resolve<'t>(types: &'t DataTypes<'t>, ident: &TypeIdent) -> Option<&'t DataTypeVariant<'t>> {
    let mut ident = ident.clone();
    for _ in 0..32 {
        let data = types.items.get(&ident)?;
        match &data.variant {
            DataTypeVariant::Reference(r) => ident = r.meta.type_.clone(),
            other => return Some(other),
        }
    }
    None
}

fn kind_of(ctx: &Context<'_, '_>, el: &ComplexDataElement<'_>) -> Kind {
    if el.target_is_dynamic {
        return Kind::Unsupported;
    }
    let ElementMetaVariant::Type { type_, mode } = &el.meta().variant else {
        return Kind::Unsupported;
    };
    if el.meta().nillable {
        return Kind::Unsupported;
    }
    // The `content` member xsd-parser adds to a struct of mixed content: its type (the
    // `…Content` group next to the struct) has no meta type.
    if *mode == ElementMode::Group && *type_ == TypeIdent::UNKNOWN {
        return Kind::Group;
    }
    let Some(variant) = resolve(ctx.meta.types, type_) else {
        return Kind::Unsupported;
    };
    match (mode, variant) {
        (ElementMode::Group, DataTypeVariant::Complex(_)) => Kind::Group,
        (ElementMode::Group, _) => Kind::Unsupported,
        (ElementMode::Element, DataTypeVariant::Complex(_)) => Kind::Element,
        (ElementMode::Element, DataTypeVariant::Custom(c)) => {
            if c.meta.name() == "OpaqueXml" {
                // Kept as written: `st96::fast::FastReader::opaque`.
                Kind::Element
            } else if c.meta.name().contains("Any") {
                Kind::Unsupported
            } else {
                Kind::Simple
            }
        }
        (
            ElementMode::Element,
            DataTypeVariant::BuildIn(_)
            | DataTypeVariant::Simple(_)
            | DataTypeVariant::Enumeration(_)
            | DataTypeVariant::Union(_),
        ) => Kind::Simple,
        _ => Kind::Unsupported,
    }
}

/// The `st96::fast::Ns` of a tag, or `None` for a namespace the fast path does not know.
fn ns_of(tag: &TagName<'_>) -> Option<TokenStream> {
    if tag.form != FormChoiceType::Qualified {
        return Some(quote!(st96::fast::Ns::None));
    }
    let Some(ns) = tag.module.and_then(|m| m.namespace.as_ref()) else {
        return Some(quote!(st96::fast::Ns::None));
    };
    match ns.to_string().as_str() {
        NS_COM => Some(quote!(st96::fast::Ns::Com)),
        NS_DGN => Some(quote!(st96::fast::Ns::Dgn)),
        NS_MATHML => Some(quote!(st96::fast::Ns::MathMl)),
        _ => None,
    }
}

fn bail_parse(ty: &TokenStream) -> TokenStream {
    impl_fast_parse(&ty, quote! { Err(st96::fast::Bail) })
}

fn bail_group(ty: &TokenStream) -> TokenStream {
    impl_fast_group(&ty, quote! { false }, quote! { Err(st96::fast::Bail) })
}

/// `impl FastParse for ident` with `body` as `fast_element` (which has `p` and `el`).
fn impl_fast_parse(ident: &impl quote::ToTokens, body: TokenStream) -> TokenStream {
    quote! {
        impl st96::fast::FastParse for #ident {
            #[allow(unused_mut, unused_variables)]
            fn fast_element<'a>(
                p: &mut st96::fast::FastReader<'a>,
                el: st96::fast::Child<'a>,
            ) -> st96::fast::Fast<Self> {
                #body
            }
        }
    }
}

/// `impl FastGroup for ident`: `first` tests `c: &Child`, `body` reads from `p` and
/// `c: &mut Option<Child>`.
fn impl_fast_group(
    ident: &impl quote::ToTokens,
    first: TokenStream,
    body: TokenStream,
) -> TokenStream {
    quote! {
        impl st96::fast::FastGroup for #ident {
            fn fast_starts(c: &st96::fast::Child<'_>) -> bool {
                #first
            }
            #[allow(unused_mut, unused_variables)]
            fn fast_group<'a>(
                p: &mut st96::fast::FastReader<'a>,
                c: &mut Option<st96::fast::Child<'a>>,
            ) -> st96::fast::Fast<Self> {
                #body
            }
        }
    }
}

/// Code that reads one occurrence of `el` from `ch` (a `Child`), giving its value (the element's
/// own type: without the `Box` or, in mixed content, the `Mixed` around it). `None` if the
/// element is not covered.
fn read_one(
    ctx: &Context<'_, '_>,
    el: &ComplexDataElement<'_>,
    mixed: bool,
) -> Option<TokenStream> {
    let target = ctx.resolve_type_for_module(&el.target_type);
    let target = if mixed {
        quote!(<#target as st96::fast::MixedOf>::Inner)
    } else {
        quote!(#target)
    };
    let positive = positive_element(&el.tag_name.name);
    Some(match kind_of(ctx, el) {
        Kind::Simple if positive => quote!(p.simple_positive::<#target>(&ch)?),
        Kind::Simple => quote!(p.simple::<#target>(&ch)?),
        Kind::Element => {
            quote!(<#target as st96::fast::FastParse>::fast_element(p, ch)?)
        }
        Kind::Group | Kind::Unsupported => return None,
    })
}

/// Code that reads one occurrence of `el` from `ch` and moves the lookahead `c` on to the next
/// child, evaluating to the field's value. In mixed content the text after the element goes
/// with it (`Mixed`).
fn read_step(
    ctx: &Context<'_, '_>,
    el: &ComplexDataElement<'_>,
    mixed: bool,
) -> Option<TokenStream> {
    let one = read_one(ctx, el, mixed)?;
    let value = if mixed {
        let target = ctx.resolve_type_for_module(&el.target_type);
        quote! {{
            let v = #one;
            let (t, n) = p.mixed_next()?;
            *c = n;
            <#target as st96::fast::MixedOf>::wrap(v, t)
        }}
    } else {
        quote! {{
            let v = #one;
            *c = p.next_child()?;
            v
        }}
    };
    Some(if el.need_indirection {
        quote!(Box::new(#value))
    } else {
        value
    })
}

/// Whether element `el` is one whose content is mixed-wrapped (`Mixed<T>`) in a type of mixed
/// content: the elements read from their own tag (not groups, not the text fields).
fn is_mixed_element(el: &ComplexDataElement<'_>, mixed: bool) -> bool {
    mixed
        && matches!(
            el.meta().variant,
            ElementMetaVariant::Type {
                mode: ElementMode::Element,
                ..
            }
        )
}

fn bounds(el: &ComplexDataElement<'_>) -> (usize, TokenStream) {
    let meta = el.meta();
    let min = meta.min_occurs;
    let max = match meta.max_occurs {
        xsd_parser::models::schema::MaxOccurs::Bounded(n) => quote!(Some(#n)),
        xsd_parser::models::schema::MaxOccurs::Unbounded => quote!(None),
    };
    (min, max)
}

/// Whether `c` (a `&Child`) can start element `el` (or the group it stands for).
fn starts(ctx: &Context<'_, '_>, el: &ComplexDataElement<'_>) -> Option<TokenStream> {
    match kind_of(ctx, el) {
        Kind::Group => {
            let target = ctx.resolve_type_for_module(&el.target_type);
            Some(quote!(<#target as st96::fast::FastGroup>::fast_starts(c)))
        }
        // An element the fast path does not read still has a name: the readers give up when
        // they meet it, rather than taking it for something else.
        Kind::Unsupported if !has_own_tag(el) => None,
        Kind::Simple | Kind::Element | Kind::Unsupported => {
            let ns = ns_of(&el.tag_name)?;
            let name = Literal::byte_string(el.tag_name.name.as_bytes());
            Some(quote!(c.is(#ns, #name)))
        }
    }
}

/// Whether `el` is an element with its own tag (not a group read inline, not text, not the head
/// of a substitution group, whose members have other tags).
fn has_own_tag(el: &ComplexDataElement<'_>) -> bool {
    !el.target_is_dynamic
        && matches!(
            el.meta().variant,
            ElementMetaVariant::Type {
                mode: ElementMode::Element,
                ..
            }
        )
}

/// Code reading sequence member `el` from the lookahead `c: Option<Child>` into a local named
/// `var`; `mixed` for the members of a type of mixed content. `None` if not covered.
fn read_member(
    ctx: &Context<'_, '_>,
    el: &ComplexDataElement<'_>,
    var: &proc_macro2::Ident,
    mixed: bool,
) -> Option<TokenStream> {
    match kind_of(ctx, el) {
        Kind::Unsupported => None,
        Kind::Group => {
            let target = ctx.resolve_type_for_module(&el.target_type);
            let one = quote!(<#target as st96::fast::FastGroup>::fast_group(p, c)?);
            let one = if el.need_indirection {
                quote!(Box::new(#one))
            } else {
                one
            };
            let test = quote!(c.as_ref().is_some_and(|c| <#target as st96::fast::FastGroup>::fast_starts(c)));
            Some(match el.occurs {
                Occurs::Single => quote!(let #var = #one;),
                Occurs::Optional => quote!(let #var = if #test { Some(#one) } else { None };),
                Occurs::DynamicList => {
                    let (min, max) = bounds(el);
                    quote! {
                        let mut #var = Vec::new();
                        while #test { #var.push(#one); }
                        st96::fast::check_count(#var.len(), #min, #max)?;
                    }
                }
                Occurs::None | Occurs::StaticList(_) => return None,
            })
        }
        Kind::Simple | Kind::Element => {
            let step = read_step(ctx, el, is_mixed_element(el, mixed))?;
            let ns = ns_of(&el.tag_name)?;
            let name = Literal::byte_string(el.tag_name.name.as_bytes());
            Some(match el.occurs {
                Occurs::Single => quote! {
                    let #var = match c.take() {
                        Some(ch) if ch.is(#ns, #name) => #step,
                        _ => return Err(st96::fast::Bail),
                    };
                },
                Occurs::Optional => quote! {
                    let #var = match c.take() {
                        Some(ch) if ch.is(#ns, #name) => Some(#step),
                        other => {
                            *c = other;
                            None
                        }
                    };
                },
                Occurs::DynamicList => {
                    let (min, max) = bounds(el);
                    quote! {
                        let mut #var = Vec::new();
                        loop {
                            match c.take() {
                                Some(ch) if ch.is(#ns, #name) => #var.push(#step),
                                other => {
                                    *c = other;
                                    break;
                                }
                            }
                        }
                        st96::fast::check_count(#var.len(), #min, #max)?;
                    }
                }
                Occurs::None | Occurs::StaticList(_) => return None,
            })
        }
    }
}

/// Reads the members of a sequence from `c`; gives `(code, field initialisers)`. In a type of
/// mixed content (`mixed`) a text member may come first only: it takes `t_before`, the text the
/// caller read before the first child element.
fn read_sequence(
    ctx: &Context<'_, '_>,
    elements: &[ComplexDataElement<'_>],
    mixed: bool,
) -> Option<(TokenStream, Vec<TokenStream>)> {
    let mut code = TokenStream::new();
    let mut fields = Vec::new();
    for (i, el) in elements.iter().enumerate() {
        let field = &el.field_ident;
        let var = quote::format_ident!("f_{}", el.field_ident);
        if matches!(el.meta().variant, ElementMetaVariant::Text) {
            if !(mixed && i == 0 && el.occurs == Occurs::Optional) {
                return None;
            }
            code.extend(quote!(let #var = t_before;));
        } else if let Some(read) = read_member(ctx, el, &var, mixed) {
            code.extend(read);
        } else {
            // A member the fast path does not read: give up only when it is there.
            let optional = matches!(el.occurs, Occurs::Optional)
                || (matches!(el.occurs, Occurs::DynamicList) && el.meta().min_occurs == 0);
            let test = starts(ctx, el).filter(|_| optional)?;
            let empty = if matches!(el.occurs, Occurs::Optional) {
                quote!(None)
            } else {
                quote!(Vec::new())
            };
            code.extend(quote! {
                if c.as_ref().is_some_and(|c| #test) {
                    return Err(st96::fast::Bail);
                }
                let #var = #empty;
            });
        }
        fields.push(quote!(#field: #var));
    }
    Some((code, fields))
}

/// First-set test of a sequence: the members up to and including the first required one.
fn sequence_starts(ctx: &Context<'_, '_>, elements: &[ComplexDataElement<'_>]) -> TokenStream {
    let mut tests = Vec::new();
    for el in elements {
        let Some(t) = starts(ctx, el) else { break };
        tests.push(t);
        let optional = matches!(el.occurs, Occurs::Optional)
            || (matches!(el.occurs, Occurs::DynamicList) && el.meta().min_occurs == 0);
        if !optional {
            break;
        }
    }
    if tests.is_empty() {
        quote!(false)
    } else {
        quote!(#(#tests)||*)
    }
}

/// Attribute reading: `(code before the content, field initialisers)`. `None` if not covered.
fn read_attributes(
    ctx: &Context<'_, '_>,
    attrs: &[ComplexDataAttribute<'_>],
) -> Option<(TokenStream, Vec<TokenStream>)> {
    let mut decls = TokenStream::new();
    let mut arms = TokenStream::new();
    let mut finish = TokenStream::new();
    let mut fields = Vec::new();
    for a in attrs {
        let ident = &a.ident;
        let var = quote::format_ident!("a_{}", a.ident);
        let target = ctx.resolve_type_for_module(&a.target_type);
        let ns = ns_of(&a.tag_name)?;
        let name = Literal::byte_string(a.tag_name.name.as_bytes());
        decls.extend(quote!(let mut #var: Option<#target> = None;));
        if positive_attribute(&a.tag_name.name) {
            arms.extend(quote!((#ns, #name) => p.attr_positive(&mut #var, &attr)?,));
        } else {
            arms.extend(quote!((#ns, #name) => p.attr(&mut #var, &attr)?,));
        }
        if let Some(default) = &a.default_value {
            let value = default.render(ctx);
            finish.extend(quote!(let #var = match #var { Some(v) => v, None => #value };));
        } else if a.is_option {
            // Optional attribute: the field is an Option.
        } else if a.meta.use_ == Use::Required {
            finish.extend(quote!(let Some(#var) = #var else { return Err(st96::fast::Bail) };));
        } else {
            return None;
        }
        fields.push(quote!(#ident: #var));
    }
    let code = quote! {
        #decls
        for attr in p.attributes(&el) {
            let attr = attr.map_err(|_| st96::fast::Bail)?;
            match p.attr_name(attr.key) {
                #arms
                _ if p.is_ignorable(&attr) => {}
                _ => return Err(st96::fast::Bail),
            }
        }
        #finish
    };
    Some((code, fields))
}

fn render_struct(ctx: &Context<'_, '_>, s: &ComplexDataStruct<'_>, as_group: bool) -> TokenStream {
    let ident = &s.base.type_ident;
    let ty = quote!(#ident);
    let flags = &s.base;
    let covered = !(flags.has_any() || flags.is_dynamic() || s.allow_any_attribute);
    let group = if flags.is_content() || as_group {
        covered
            .then(|| render_struct_group(ctx, s))
            .flatten()
            .unwrap_or_else(|| bail_group(&ty))
    } else {
        TokenStream::new()
    };
    if flags.is_content() {
        return group;
    }
    // Mixed content the fast path cannot read whole (a member it does not cover) is still read
    // when the element holds text only.
    let element = covered
        .then(|| render_struct_element(ctx, s))
        .flatten()
        .or_else(|| {
            (covered && flags.is_mixed())
                .then(|| render_mixed_text_only(ctx, s))
                .flatten()
        })
        .unwrap_or_else(|| bail_parse(&ty));
    quote!(#element #group)
}

fn render_struct_element(ctx: &Context<'_, '_>, s: &ComplexDataStruct<'_>) -> Option<TokenStream> {
    let ident = &s.base.type_ident;
    let (attr_code, mut fields) = read_attributes(ctx, &s.attributes)?;
    let mixed = s.base.is_mixed();
    let content = match &s.mode {
        StructMode::Empty { allow_any: false } if !mixed => quote!(p.no_children(&el)?;),
        StructMode::Sequence {
            elements,
            allow_any: false,
        } if mixed => {
            let (code, f) = read_sequence(ctx, elements, true)?;
            fields.extend(f);
            quote! {
                let (t_before, mut la) = p.mixed_first(&el)?;
                let c = &mut la;
                #code
                if la.is_some() {
                    return Err(st96::fast::Bail);
                }
            }
        }
        _ if mixed => return None,
        StructMode::Sequence {
            elements,
            allow_any: false,
        } => {
            let (code, f) = read_sequence(ctx, elements, false)?;
            fields.extend(f);
            quote! {
                let mut la = p.first_child(&el)?;
                let c = &mut la;
                #code
                if la.is_some() {
                    return Err(st96::fast::Bail);
                }
            }
        }
        StructMode::Content { content } => {
            let target = ctx.resolve_type_for_module(&content.target_type);
            if content.simple_type.is_some() {
                if content.occurs != Occurs::Single {
                    return None;
                }
                fields.push(quote!(content: c_content));
                let positive = positive_content(&ident.to_string());
                quote!(let c_content = p.simple_content::<#target>(&el, #positive)?;)
            } else {
                let one = quote!(<#target as st96::fast::FastGroup>::fast_group(p, c)?);
                let test = quote!(c.as_ref().is_some_and(|c| <#target as st96::fast::FastGroup>::fast_starts(c)));
                let read = match content.occurs {
                    Occurs::Single => quote!(let c_content = #one;),
                    Occurs::Optional => {
                        quote!(let c_content = if #test { Some(#one) } else { None };)
                    }
                    Occurs::DynamicList => {
                        let min = content.min_occurs;
                        let max = match content.max_occurs {
                            xsd_parser::models::schema::MaxOccurs::Bounded(n) => quote!(Some(#n)),
                            xsd_parser::models::schema::MaxOccurs::Unbounded => quote!(None),
                        };
                        quote! {
                            let mut c_content = Vec::new();
                            while #test { c_content.push(#one); }
                            st96::fast::check_count(c_content.len(), #min, #max)?;
                        }
                    }
                    Occurs::None | Occurs::StaticList(_) => return None,
                };
                fields.push(quote!(content: c_content));
                quote! {
                    let mut la = p.first_child(&el)?;
                    let c = &mut la;
                    #read
                    if la.is_some() {
                        return Err(st96::fast::Bail);
                    }
                }
            }
        }
        _ => return None,
    };
    Some(impl_fast_parse(
        &ident,
        quote! {
            #attr_code
            #content
            Ok(Self { #(#fields,)* })
        },
    ))
}

/// A mixed-content type read when its element holds text only (the common case: names,
/// phrases): the text goes to the text field, every other member must be allowed to be absent.
/// Child elements give up.
fn render_mixed_text_only(ctx: &Context<'_, '_>, s: &ComplexDataStruct<'_>) -> Option<TokenStream> {
    let ident = &s.base.type_ident;
    let (attr_code, mut fields) = read_attributes(ctx, &s.attributes)?;
    let StructMode::Sequence {
        elements,
        allow_any: false,
    } = &s.mode
    else {
        return None;
    };
    let mut text_field = None;
    for el in elements {
        let field = &el.field_ident;
        match (&el.meta().variant, el.occurs) {
            (ElementMetaVariant::Text, Occurs::Optional) if text_field.is_none() => {
                text_field = Some(field.clone());
                fields.push(quote!(#field: text));
            }
            (_, Occurs::Optional) => fields.push(quote!(#field: None)),
            (_, Occurs::DynamicList) if el.meta().min_occurs == 0 => {
                fields.push(quote!(#field: Vec::new()));
            }
            _ => return None,
        }
    }
    text_field?;
    Some(impl_fast_parse(
        &ident,
        quote! {
            #attr_code
            let text = p.mixed_text_only(&el)?;
            Ok(Self { #(#fields,)* })
        },
    ))
}

fn render_struct_group(ctx: &Context<'_, '_>, s: &ComplexDataStruct<'_>) -> Option<TokenStream> {
    let ident = &s.base.type_ident;
    if !s.attributes.is_empty() || s.allow_any_attribute {
        return None;
    }
    let StructMode::Sequence {
        elements,
        allow_any: false,
    } = &s.mode
    else {
        return None;
    };
    if elements
        .iter()
        .any(|el| matches!(el.meta().variant, ElementMetaVariant::Text))
    {
        return None;
    }
    let (code, fields) = read_sequence(ctx, elements, s.base.is_mixed())?;
    let first = sequence_starts(ctx, elements);
    Some(impl_fast_group(
        &ident,
        first,
        quote! {
            #code
            Ok(Self { #(#fields,)* })
        },
    ))
}

fn render_enum(ctx: &Context<'_, '_>, e: &ComplexDataEnum<'_>, as_group: bool) -> TokenStream {
    let ident = &e.base.type_ident;
    let ty = quote!(#ident);
    let flags = &e.base;
    let covered = !(flags.has_any() || flags.is_dynamic() || e.allow_any || e.allow_any_attribute);
    let choice = covered.then(|| render_choice(ctx, e)).flatten();
    let Some((first, read)) = choice else {
        return match (flags.is_content(), as_group) {
            (true, _) => bail_group(&ty),
            (false, false) => bail_parse(&ty),
            (false, true) => {
                let (a, b) = (bail_parse(&ty), bail_group(&ty));
                quote!(#a #b)
            }
        };
    };
    let group = impl_fast_group(&ident, first, read.clone());
    if flags.is_content() {
        return group;
    }
    let group = if as_group { group } else { TokenStream::new() };
    if flags.is_mixed() {
        // A choice of mixed content is read inline only (as a group or the content of its
        // struct): on an element of its own the text before its child has no field.
        let parse = bail_parse(&ty);
        return quote!(#group #parse);
    }
    let parse = impl_fast_parse(
        &ident,
        quote! {
            for attr in p.attributes(&el) {
                let attr = attr.map_err(|_| st96::fast::Bail)?;
                if !p.is_ignorable(&attr) {
                    return Err(st96::fast::Bail);
                }
            }
            let mut la = p.first_child(&el)?;
            let value = {
                let c = &mut la;
                #read
            }?;
            if la.is_some() {
                return Err(st96::fast::Bail);
            }
            Ok(value)
        },
    );
    quote!(#group #parse)
}

/// A choice: `(first-set test on c: &Child, code reading it from c: &mut Option<Child> that
/// evaluates to Fast<Self>)`.
fn render_choice(
    ctx: &Context<'_, '_>,
    e: &ComplexDataEnum<'_>,
) -> Option<(TokenStream, TokenStream)> {
    let mut tests = Vec::new();
    let mut arms = TokenStream::new();
    for el in &e.elements {
        let variant = &el.variant_ident;
        let test = starts(ctx, el)?;
        let var = quote::format_ident!("v");
        // A branch the fast path does not read gives up when taken.
        let read = read_member(ctx, el, &var, e.base.is_mixed()).map_or_else(
            || quote!(return Err(st96::fast::Bail);),
            |read| {
                quote! {
                    #read
                    return Ok(Self::#variant(v));
                }
            },
        );
        arms.extend(quote! {
            if c.as_ref().is_some_and(|c| #test) {
                #read
            }
        });
        tests.push(test);
    }
    if tests.is_empty() {
        return None;
    }
    let first = quote!(#(#tests)||*);
    let read = quote! {
        (|| -> st96::fast::Fast<Self> {
            #arms
            Err(st96::fast::Bail)
        })()
    };
    Some((first, read))
}
