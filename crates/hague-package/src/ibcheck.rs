//! Validation of IB-to-office packages (bulletins, confidential copies, acknowledgement receipts,
//! irregularity notifications) by their own rules: one XML (`PKG001`, checked by the caller), the
//! schema (run by the caller), every record read with `st96`'s streaming reader (`XSD004`), image
//! folders named after an international registration of the XML (`IB001`), each record's files in
//! its own folder (`IB002`), every referenced file present at its exact path (`PKG006`, `PKG007`,
//! `PKG022`) and every file referenced (`PKG008`). Streaming: the XML is never held whole; memory
//! grows only with the number of file names and IRNs.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::BufReader;
use std::path::Path;

use crate::PackageError;
use crate::ib::{IbPackage, read_error};
use crate::ibread::{self, Record};
use crate::report::{Finding, Location, Report, Severity, TypedModelStatus};
use crate::rules::RuleId;
use crate::safety;
use crate::validate::{Options, Source};

/// The folder a package entry sits in (its last directory), if any.
fn folder_of(name: &str) -> Option<&str> {
    let (dir, _) = name.rsplit_once('/')?;
    Some(dir.rsplit('/').next().unwrap_or(dir))
}

/// What reading the records of an IB-to-office XML found ([`read`]), before the schema's verdict
/// is known.
pub(crate) struct Pass {
    /// Findings about references (paths, folders, presence), in the order found.
    found: Vec<Finding>,
    /// Findings dropped past the cap.
    dropped: u64,
    /// The typed reader's refusal (its message and findings), if it refused.
    refusal: Option<(String, Vec<Finding>)>,
    used: HashSet<String>,
    irn_folders: HashSet<String>,
    /// The XML uses a construct the verdict policy's proof does not cover.
    unproven: bool,
}

impl Pass {
    /// `true` when the XML uses a construct the proof of the verdict policy does not cover
    /// ([`crate::verdict::Unproven`]).
    pub(crate) fn unproven(&self) -> bool {
        self.unproven
    }

    /// `true` when every record was read (the typed reader accepted the XML).
    pub(crate) fn complete(&self) -> bool {
        self.refusal.is_none()
    }
}

/// Reads every record of the IB-to-office XML `xml` with `st96`'s streaming reader (the typed
/// verdict of the policy, [`crate::verdict`]), collecting what the reference rules need.
pub(crate) fn read<S: Source>(
    src: &mut S,
    xml: &str,
    files: &[(String, u64)],
    opts: &Options,
    package: &str,
) -> Result<Pass, PackageError> {
    let max = opts.limits.max_findings;
    let names: HashSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let folded: HashMap<String, &str> = files
        .iter()
        .map(|(n, _)| (n.to_lowercase(), n.as_str()))
        .collect();
    let mut used: HashSet<String> = HashSet::new();
    used.insert(xml.to_owned());
    let mut irn_folders: HashSet<String> = HashSet::new();
    let mut found: Vec<Finding> = Vec::new();
    let mut dropped = 0u64;
    let mut push = |f: Finding, found: &mut Vec<Finding>| {
        if found.len() < max {
            found.push(f);
        } else {
            dropped += 1;
        }
    };
    let reader = src.open(xml).map_err(|e| PackageError::io_entry(xml, e))?;
    let unproven = crate::verdict::Unproven::default();
    let reader = unproven.watch(reader);
    let result = ibread::stream_records(
        BufReader::with_capacity(64 * 1024, reader),
        opts.limits.max_xml_depth,
        &mut |rec: Record| {
            let folder = rec.irn.as_deref().map(IbPackage::irn_folder);
            if let Some(f) = &folder {
                irn_folders.insert(f.clone());
            }
            let at = Location::xml(xml, rec.line, 1, format!("{}/{}", rec.bag, rec.kind));
            for name in &rec.files {
                if let Err((_, why)) = safety::check_name(name.as_bytes()) {
                    push(
                        Finding::new(
                            RuleId::UnsafeReference,
                            format!("referenced file {name:?} is not a safe relative path: {why}"),
                            at.clone(),
                        ),
                        &mut found,
                    );
                    continue;
                }
                if let Some(f) = &folder
                    && folder_of(name) != Some(f.as_str())
                {
                    push(
                        Finding::new(
                            RuleId::IbFileOutsideFolder,
                            format!(
                                "{} {} references {name:?}, outside its folder {f}/",
                                rec.kind,
                                rec.irn.as_deref().unwrap_or("?")
                            ),
                            at.clone(),
                        ),
                        &mut found,
                    );
                }
                if names.contains(name.as_str()) {
                    used.insert(name.clone());
                } else if let Some(real) = folded.get(&name.to_lowercase()) {
                    used.insert((*real).to_owned());
                    push(
                        Finding::new(
                            RuleId::FileCase,
                            format!(
                                "referenced file {name:?} is in the package only as {real:?}; paths are case-sensitive"
                            ),
                            at.clone(),
                        ),
                        &mut found,
                    );
                } else {
                    push(
                        Finding::new(
                            RuleId::MissingFile,
                            format!(
                                "referenced file {name:?} of {} {} is not in the package; ask the IB for the complete package",
                                rec.kind,
                                rec.irn.as_deref().unwrap_or("?")
                            ),
                            at.clone(),
                        ),
                        &mut found,
                    );
                }
            }
            true
        },
    );
    let refusal = match result {
        Ok(_) => None,
        Err(e) => {
            let message = e.to_string();
            match read_error(Path::new(package), xml, e) {
                PackageError::Unsafe { findings, .. } => Some((message, findings)),
                other => return Err(other),
            }
        }
    };
    Ok(Pass {
        found,
        dropped,
        refusal,
        used,
        irn_folders,
        unproven: unproven.seen(),
    })
}

/// Reports what [`read`] found, once the schema's verdict is in `report`: the typed reader's
/// refusal (left out when the schema already reported the document invalid; a warning when the
/// schema found it valid), the reference findings, then, when every record was read, the folder
/// and unreferenced-file rules.
pub(crate) fn finish(
    pass: Pass,
    files: &[(String, u64)],
    opts: &Options,
    report: &mut Report,
) -> Result<(), PackageError> {
    let max = opts.limits.max_findings;
    let Pass {
        mut found,
        mut dropped,
        refusal,
        used,
        irn_folders,
        ..
    } = pass;
    let complete = refusal.is_none();
    match refusal {
        None => report.typed_model = TypedModelStatus::Valid,
        Some((message, findings)) => {
            report.typed_model = TypedModelStatus::Invalid { message };
            for mut f in findings {
                if f.rule == RuleId::SchemaInvalid {
                    // The typed reader's refusal, reported like the office direction's.
                    if report.xsd.ran() && report.has(RuleId::SchemaInvalid) {
                        continue;
                    }
                    f.rule = RuleId::TypedModel;
                    if report.xsd.ran() {
                        f.severity = Severity::Warning;
                    }
                }
                if found.len() < max {
                    found.push(f);
                } else {
                    dropped += 1;
                }
            }
        }
    }
    for f in found {
        report.push(f, max);
    }
    report.truncated += dropped;
    if !complete {
        // The records were not all read: folder and reference checks would be guesses.
        return Ok(());
    }
    let mut bad_folders: BTreeSet<&str> = BTreeSet::new();
    for (name, _) in files {
        if let Some(folder) = folder_of(name)
            && !irn_folders.contains(folder)
        {
            bad_folders.insert(folder);
        }
    }
    for folder in bad_folders {
        report.push(
            Finding::new(
                RuleId::IbFolder,
                format!(
                    "folder {folder}/ is named after no international registration of the XML; image folders are named by IRN (DM/201234 -> DM201234/)"
                ),
                Location::file(format!("{folder}/")),
            ),
            max,
        );
    }
    for (name, _) in files {
        if !used.contains(name) {
            report.push(
                Finding::new(
                    RuleId::UnreferencedFile,
                    format!("{name:?} is referenced by no record of the XML"),
                    Location::file(name.clone()),
                ),
                max,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn folders() {
        assert_eq!(super::folder_of("DM201234/a.jpg"), Some("DM201234"));
        assert_eq!(super::folder_of("images/DM201234/a.jpg"), Some("DM201234"));
        assert_eq!(super::folder_of("a.jpg"), None);
    }
}
