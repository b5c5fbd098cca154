//! Findings and reports: what a check found, where, and how bad it is.

use serde::Serialize;

use crate::rules::RuleId;

/// How serious a finding is. Only [`Severity::Error`] makes a package invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Hague (or the schema) would refuse the package.
    Error,
    /// Probably a mistake, but Hague may accept the package.
    Warning,
    /// For information only (e.g. which checks ran).
    Info,
}

impl Severity {
    /// Lower-case name, as in the JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Where a finding is: a file of the package and, inside an XML file, a line, column and element path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Entry name inside the package (or path on disk when building).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in the XML file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based column (in bytes) in the XML file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// Element path, e.g. `/HagueOfficeToIBTransaction/HagueOfficeToIBBag/HagueRefusalRequest`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Location {
    /// A location naming only a file.
    pub fn file(name: impl Into<String>) -> Self {
        Self {
            file: Some(name.into()),
            ..Self::default()
        }
    }

    /// A location inside an XML file.
    pub fn xml(file: &str, line: u64, column: u64, path: impl Into<String>) -> Self {
        Self {
            file: Some(file.to_owned()),
            line: Some(line),
            column: Some(column),
            path: Some(path.into()),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut wrote = false;
        if let Some(file) = &self.file {
            write!(f, "{file}")?;
            wrote = true;
        }
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
            wrote = true;
        }
        if let Some(path) = &self.path {
            if wrote {
                write!(f, " ")?;
            }
            write!(f, "{path}")?;
        }
        Ok(())
    }
}

/// One problem (or note) found in a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable rule id, documented in `docs/package-rules.md`.
    pub rule: RuleId,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong and how to fix it.
    pub message: String,
    /// Where it is.
    pub location: Location,
    /// For schema errors: what the schema expected at that point, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
}

impl Finding {
    /// A finding with the rule's default severity.
    pub fn new(rule: RuleId, message: impl Into<String>, location: Location) -> Self {
        Self {
            rule,
            severity: rule.severity(),
            message: message.into(),
            location,
            expected: None,
        }
    }

    /// Same finding with another severity.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.severity.as_str(),
            self.rule,
            self.message
        )?;
        let loc = self.location.to_string();
        if !loc.is_empty() {
            write!(f, " (at {loc})")?;
        }
        if let Some(exp) = &self.expected {
            write!(f, " [expected: {exp}]")?;
        }
        Ok(())
    }
}

/// How the XML was checked against WIPO's schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum XsdStatus {
    /// Validated against this schema file.
    Validated {
        /// The root schema file used.
        schema: String,
    },
    /// The declared version's schema is not installed: validated against the nearest installed
    /// version's schema, with its fixed `com:st96Version` relaxed (rule `XSD005`).
    ValidatedNearest {
        /// The root schema file used.
        schema: String,
        /// Its version.
        schema_version: String,
        /// The version the document declares.
        declared: String,
    },
    /// No schema file for the declared version was found: only the built-in checks ran.
    SchemaUnavailable {
        /// Declared `com:st96Version`.
        version: String,
        /// Where we looked.
        searched: Vec<String>,
    },
    /// Not run because it was not needed: st96's strict typed reader, generated from WIPO's
    /// `model_version` schema, accepted the document, and its verdict is proven equal to that
    /// schema's on such documents (`tests/differential.rs`; the policy is [`crate::verdict`]).
    /// `schema` is the file it stands for when installed; `declared` differs from
    /// `model_version` when the schema's fixed `com:st96Version` would have been relaxed (the
    /// declared version's own schema is not installed: rule `XSD005`).
    ModelProven {
        /// The version of WIPO's schema the typed model was generated from (`V6_0`).
        model_version: String,
        /// That schema's root file, when installed.
        #[serde(skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        /// The version the document declares.
        declared: String,
    },
    /// XSD validation was switched off by the caller.
    Skipped,
    /// The XML could not be reached (e.g. the archive was refused before reading it).
    NotRun,
}

/// The command that installs WIPO's schemas, named wherever a verdict says the schema did not run.
pub const INSTALL_HINT: &str = "ipgate schemas install DIR|ZIP";

impl XsdStatus {
    /// `true` when WIPO's schema's verdict is known: it ran (for the declared version or the
    /// nearest one), or st96's typed model, whose verdict is proven equal to it, accepted the
    /// document ([`XsdStatus::ModelProven`]). What `--require-schema` and the rules that depend
    /// on the schema (the built-in structure checks stand in for it otherwise) ask.
    pub fn ran(&self) -> bool {
        matches!(
            self,
            XsdStatus::Validated { .. }
                | XsdStatus::ValidatedNearest { .. }
                | XsdStatus::ModelProven { .. }
        )
    }

    /// The result line of a check whose findings hold no error (`valid`) or some: never a bare
    /// "valid" when WIPO's schema did not run, so a reader knows what the verdict rests on.
    pub fn verdict(&self, valid: bool) -> String {
        if !valid {
            return "INVALID".to_owned();
        }
        match self {
            XsdStatus::Validated { .. } => {
                "valid (WIPO's schema and ipgate's built-in checks)".to_owned()
            }
            XsdStatus::ValidatedNearest {
                schema_version,
                declared,
                ..
            } => format!(
                "valid against WIPO's {schema_version} schema (the document declares {}; \
                 com:st96Version relaxed) and ipgate's built-in checks",
                if declared.is_empty() {
                    "no version"
                } else {
                    declared
                }
            ),
            XsdStatus::ModelProven {
                model_version,
                declared,
                ..
            } => format!(
                "valid by st96's {model_version} model, proven equal to WIPO's {model_version} \
                 schema's verdict{} (the schema was not needed), and ipgate's built-in checks",
                if declared == model_version {
                    String::new()
                } else {
                    format!(" with com:st96Version relaxed; the document declares {declared}")
                }
            ),
            XsdStatus::Skipped => {
                "valid by ipgate's built-in checks; WIPO's schema was not run (--no-xsd)".to_owned()
            }
            XsdStatus::SchemaUnavailable { .. } | XsdStatus::NotRun => format!(
                "valid by ipgate's built-in checks; WIPO's schema was not run (`{INSTALL_HINT}`)"
            ),
        }
    }
}

/// Whether the XML was also read with `st96`'s typed model (`st96::Document`, generated from the
/// ST.96 V6_0 schemas), next to the XSD validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TypedModelStatus {
    /// The typed model read the XML.
    Valid,
    /// The typed model refused the XML.
    Invalid {
        /// Its error: what, where (line/column, element path) and how to fix it.
        message: String,
    },
    /// Not run: the XML was refused before (guards, no XML) or is not a
    /// `dgn:HagueOfficeToIBTransaction`, or it is larger than the typed check reads whole.
    NotRun,
}

/// The result of validating a package.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The package that was checked.
    pub package: String,
    /// Root element of its XML (`HagueOfficeToIBTransaction`, or `HagueIBToOfficeTransaction`
    /// for a bulletin or office copy, which is checked by its own rules), when it could be read.
    pub root: Option<String>,
    /// Every finding, in the order found.
    pub findings: Vec<Finding>,
    /// Whether and how XSD validation ran.
    pub xsd: XsdStatus,
    /// Whether `st96`'s typed model also read the XML (and what it said).
    pub typed_model: TypedModelStatus,
    /// Findings dropped after [`crate::Limits::max_findings`] was reached.
    pub truncated: u64,
    /// Errors among the dropped findings.
    #[serde(skip)]
    truncated_errors: u64,
}

impl Report {
    /// An empty report for `package`.
    pub fn new(package: impl Into<String>) -> Self {
        Self {
            package: package.into(),
            root: None,
            findings: Vec::new(),
            xsd: XsdStatus::NotRun,
            typed_model: TypedModelStatus::NotRun,
            truncated: 0,
            truncated_errors: 0,
        }
    }

    /// `true` when no finding is an error.
    pub fn is_valid(&self) -> bool {
        self.errors() == 0 && self.truncated_errors == 0
    }

    /// Number of error findings.
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    /// Number of warning findings.
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }

    /// `true` if some finding has rule `rule`.
    pub fn has(&self, rule: RuleId) -> bool {
        self.findings.iter().any(|f| f.rule == rule)
    }

    pub(crate) fn push(&mut self, finding: Finding, max: usize) {
        if self.findings.len() >= max {
            self.truncated += 1;
            if finding.severity == Severity::Error {
                self.truncated_errors += 1;
            }
        } else {
            self.findings.push(finding);
        }
    }
}
