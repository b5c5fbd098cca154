//! Checks the generated deserializers do not make on their own (xsd-parser 1.5.2 gaps), called
//! from the generated code and from [`crate::document`].

use xsd_parser_types::quick_xml::{DeserializeHelper, Error};

/// Why an occurrence check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OccursError {
    /// Fewer elements than `minOccurs`.
    #[error(
        "<{element}> occurs {found} time(s) here but the schema requires at least {min}; add the \
         missing <{element}> element(s)"
    )]
    TooFew {
        /// Local name of the repeated element.
        element: &'static str,
        /// `minOccurs`.
        min: usize,
        /// How many were found.
        found: usize,
    },
    /// More elements than `maxOccurs`.
    #[error(
        "<{element}> occurs {found} time(s) here but the schema allows at most {max}; remove the \
         extra <{element}> element(s)"
    )]
    TooMany {
        /// Local name of the repeated element.
        element: &'static str,
        /// `maxOccurs`.
        max: usize,
        /// How many were found.
        found: usize,
    },
}

/// Replacement for `DeserializeHelper::finish_vec` (whose bounds check never fires in
/// xsd-parser-types 0.2.1): enforces `minOccurs` and `maxOccurs` of a repeated element.
///
/// # Errors
/// [`OccursError`] (wrapped in the deserializer's error) when a bound is violated.
#[doc(hidden)]
pub fn finish_vec<T>(
    _helper: &DeserializeHelper,
    element: &'static str,
    min: usize,
    max: Option<usize>,
    value: Vec<T>,
) -> Result<Vec<T>, Error> {
    let found = value.len();
    if found < min {
        return Err(Error::custom(OccursError::TooFew {
            element,
            min,
            found,
        }));
    }
    if let Some(max) = max
        && found > max
    {
        return Err(Error::custom(OccursError::TooMany {
            element,
            max,
            found,
        }));
    }
    Ok(value)
}
