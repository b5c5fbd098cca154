//! Built-in content models of the office-to-IB transactions (hws-facts.md §4.3, read from the ST.96
//! V6_0 schema): the direct children of each main tag, in order, and whether each is required.
//! Used as the fallback check when no schema file is available, and to say what was expected when
//! the schema refuses a transaction's content.

/// `(local name, required)` of each child, in schema order.
pub(crate) type Model = &'static [(&'static str, bool)];

const IRN: (&str, bool) = ("InternationalRegistrationNumber", true);

/// The content model of a main tag, if we know it.
pub(crate) fn model(tag: &str) -> Option<Model> {
    Some(match tag {
        "HagueRefusalRequest" => &[
            IRN,
            ("InternationalFilingDate", false),
            ("RecordIdentifier", false),
            ("OfficeReferenceIdentifier", false),
            ("DecisionDate", true),
            ("AffectedDesign", true),
            ("HagueDesignBag", false),
            ("DecisionGroundsBag", false),
            ("EarlierDesignBag", false),
            ("LegalProvisionText", false),
            ("DecisionRemedyTextBag", false),
            ("DocumentIncludedBag", true),
            ("OfficeSpecificContent", false),
            ("SignatureBag", false),
            ("CommentText", false),
        ],
        "HagueGrantProtectionRequest" => &[
            IRN,
            ("InternationalFilingDate", false),
            ("RecordIdentifier", false),
            ("OfficeReferenceIdentifier", false),
            ("DecisionDate", true),
            ("DecisionEffectiveDate", true),
            ("AffectedDesign", true),
            ("HagueDesignBag", false),
            ("HolderBag", false),
            ("Amendment", false),
            ("DocumentIncludedBag", false),
            ("OfficeSpecificContent", false),
            ("SignatureBag", false),
            ("CommentText", false),
        ],
        "HagueRefusalWithdrawalRequest" => &[
            IRN,
            ("RecordIdentifier", false),
            ("OfficeReferenceIdentifier", false),
            ("AffectedDesign", true),
            ("HagueDesignBag", false),
            ("DecisionDate", true),
            ("DecisionEffectiveDate", true),
            ("Amendment", false),
            ("DocumentIncludedBag", false),
            ("OfficeSpecificContent", false),
            ("SignatureBag", false),
            ("CommentText", false),
        ],
        "HagueInvalidationRequest" => &[
            IRN,
            ("RecordIdentifier", false),
            ("OfficeReferenceIdentifier", false),
            ("DecisionDate", true),
            ("DecisionEffectiveDate", true),
            ("AffectedDesign", true),
            ("HagueDesignBag", false),
            ("DecisionRemedyTextBag", false),
            ("DocumentIncludedBag", false),
            ("OfficeSpecificContent", false),
            ("SignatureBag", false),
            ("CommentText", false),
        ],
        "HagueDivision" => &[
            IRN,
            ("OfficeReferenceIdentifier", false),
            ("AffectedDesign", true),
            ("DivisionDesignIdentificationBag", true),
            ("HagueDesignBag", false),
            ("DomesticApplicationRegistrationReference", false),
            ("DocumentIncludedBag", false),
            ("OfficeSpecificContent", false),
            ("SignatureBag", false),
            ("CommentText", false),
        ],
        // The first two are a choice (one of them is required): checked separately.
        "HagueGenericOfficeCommunication" => &[
            ("InternationalRegistrationNumber", false),
            ("OfficeReferenceIdentifier", false),
            ("HagueGenericOfficeCommunicationCategory", true),
            ("AffectedDesign", false),
            ("HagueDesignBag", false),
            ("DecisionEffectiveDate", false),
            ("DecisionGroundsBag", false),
            ("DocumentIncludedBag", false),
            ("OfficeSpecificContent", false),
            ("SignatureBag", false),
            ("CommentText", false),
        ],
        "HagueSecondPartFeePayable" => &[
            IRN,
            ("OfficeReferenceIdentifier", false),
            ("AffectedDesign", false),
            ("PaymentDueDate", false),
            ("HagueDesignBag", false),
            ("DecisionEffectiveDate", true),
            ("BusinessEntityStatusCategory", false),
            ("OfficeSpecificContent", false),
            ("SignatureBag", false),
            ("CommentText", false),
        ],
        "HagueSecondPartFeePaid" => &[
            IRN,
            ("RecordIdentifier", false),
            ("OfficeReferenceIdentifier", false),
            ("DesignatedCountry", true),
            ("PaymentDate", true),
            ("FeeCalculationDate", true),
            ("AffectedDesign", false),
            ("HagueDesignBag", false),
            ("OfficeSpecificContent", false),
            ("SignatureBag", false),
            ("CommentText", false),
        ],
        "HagueCancellationNonPaymentRequest" => &[
            IRN,
            ("OfficeReferenceIdentifier", false),
            ("DecisionDate", false),
            ("AffectedDesign", false),
            ("HagueDesignBag", false),
            ("OfficeSpecificContent", false),
            ("SignatureBag", false),
            ("DocumentIncludedBag", false),
            ("CommentText", false),
        ],
        "HagueApplication" => &[
            ("IPOfficeCode", false),
            ("ReceivingOfficeDate", false),
            ("ApplicationDateTime", false),
            ("ApplicationLanguageCode", true),
            ("OfficeReferenceIdentifier", false),
            ("ApplicantFileReference", false),
            ("ApplicantBag", true),
            ("CorrespondenceAddress", false),
            ("Representative", false),
            ("DesignTotalQuantity", true),
            ("ViewTotalQuantity", true),
            ("ColourViewTotalQuantity", false),
            ("BlackWhiteViewTotalQuantity", false),
            ("DesignatedCountryBag", true),
            ("HagueDesignBag", true),
            ("DesignClaimBag", false),
            ("ImmediatePublicationIndicator", true),
            ("PublicationDefermentIndicator", true),
            ("DefermentPeriod", false),
            ("LatePaymentRequestIndicator", true),
            ("DocumentIncludedBag", false),
            ("BusinessEntityStatusClaimBag", false),
            ("SignatureBag", false),
            ("PaymentBag", false),
        ],
        _ => return None,
    })
}

/// The model written as `A, B?, C`.
pub(crate) fn describe(m: Model) -> String {
    m.iter()
        .map(|(n, req)| {
            if *req {
                (*n).to_owned()
            } else {
                format!("{n}?")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Problems of `children` against `m`: unknown, repeated, out of order, missing.
pub(crate) fn check(tag: &str, m: Model, children: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut last: Option<usize> = None;
    let mut seen = vec![false; m.len()];
    for c in children {
        match m.iter().position(|(n, _)| n == c) {
            None => out.push(format!("<{c}> is not allowed in <{tag}>")),
            Some(i) => {
                if seen[i] {
                    out.push(format!("<{c}> appears more than once in <{tag}>"));
                } else if last.is_some_and(|l| i < l) {
                    out.push(format!("<{c}> is out of order in <{tag}>"));
                }
                seen[i] = true;
                last = Some(last.map_or(i, |l| l.max(i)));
            }
        }
    }
    for (i, (n, req)) in m.iter().enumerate() {
        if *req && !seen[i] {
            out.push(format!("<{tag}> lacks the required <{n}>"));
        }
    }
    if tag == "HagueGenericOfficeCommunication" && !seen[0] && !seen[1] {
        out.push(format!(
            "<{tag}> needs <InternationalRegistrationNumber> or <OfficeReferenceIdentifier>"
        ));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn checks_order_and_presence() {
        let m = model("HagueRefusalWithdrawalRequest").unwrap();
        let ok: Vec<String> = [
            "InternationalRegistrationNumber",
            "AffectedDesign",
            "DecisionDate",
            "DecisionEffectiveDate",
        ]
        .map(String::from)
        .to_vec();
        assert!(check("T", m, &ok).is_empty());
        let bad: Vec<String> = [
            "InternationalRegistrationNumber",
            "DecisionDate",
            "AffectedDesign",
            "Foo",
        ]
        .map(String::from)
        .to_vec();
        let p = check("T", m, &bad);
        assert_eq!(p.len(), 3, "{p:?}");
    }
}
