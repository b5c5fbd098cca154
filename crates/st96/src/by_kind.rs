//! Reading a document with the typed model of the kind [`detect`](crate::detect) found, for callers
//! that accept any document this build has a model for (`ipgate st96 check`, package validation).

use crate::detect::{Detected, DocumentKind, Warning};
use crate::{Error, Root};

/// What a typed parse by kind kept of the document: enough to report on it.
#[derive(Debug, Clone)]
pub struct ParsedByKind {
    /// The kind whose model read the document.
    pub kind: DocumentKind,
    /// The declared `com:st96Version`, if any.
    pub declared_version: Option<String>,
    /// Things worth telling the user (e.g. a declared version other than the model's).
    pub warnings: Vec<Warning>,
}

fn parse_as<T: Root>(bytes: &[u8], kind: DocumentKind) -> Result<ParsedByKind, Error> {
    let doc = T::from_xml(bytes)?;
    Ok(ParsedByKind {
        kind,
        declared_version: doc.declared_version,
        warnings: doc.warnings,
    })
}

/// The document kinds this build has a typed model for (it depends on the `hague` and `design`
/// features).
pub fn kinds_with_model() -> &'static [DocumentKind] {
    &[
        #[cfg(feature = "hague")]
        DocumentKind::HagueOfficeToIBTransaction,
        #[cfg(feature = "hague")]
        DocumentKind::HagueIBToOfficeTransaction,
        #[cfg(feature = "design")]
        DocumentKind::DesignApplication,
        #[cfg(feature = "design")]
        DocumentKind::DesignTransaction,
    ]
}

/// Parses `bytes` with the model of `found.kind` (what [`detect`](crate::detect::detect) said of
/// the same bytes). `None` when this build has no model for that kind (see
/// [`kinds_with_model`]); otherwise the typed parse's result.
pub fn parse_by_kind(bytes: &[u8], found: &Detected) -> Option<Result<ParsedByKind, Error>> {
    let _ = bytes;
    match found.kind {
        #[cfg(feature = "hague")]
        k @ DocumentKind::HagueOfficeToIBTransaction => {
            Some(parse_as::<crate::v6::hague::dgn::HagueOfficeToIbTransaction>(bytes, k))
        }
        #[cfg(feature = "hague")]
        k @ DocumentKind::HagueIBToOfficeTransaction => {
            Some(parse_as::<crate::v6::hague::dgn::HagueIbToOfficeTransaction>(bytes, k))
        }
        #[cfg(feature = "design")]
        k @ DocumentKind::DesignApplication => Some(parse_as::<
            crate::v6::design::dgn::DesignApplication,
        >(bytes, k)),
        #[cfg(feature = "design")]
        k @ DocumentKind::DesignTransaction => Some(parse_as::<
            crate::v6::design::dgn::DesignTransaction,
        >(bytes, k)),
        _ => None,
    }
}
