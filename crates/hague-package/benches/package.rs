//! Benchmarks of hague-package, reported as ratios against tools measured in the same run:
//!
//! * validating a ≥ 200 MB package (one XML, 160 JPEGs and 160 PDFs from 280 MB of input) against
//!   `unzip -tq` on the same file (target ≤ 1.5×);
//! * building it against `zip -rq` (target ≤ 1.0×), and against `zip -rq -n .jpg` (zip told to store
//!   JPEGs as we do, the fairer floor);
//! * XSD validation throughput (MB/s) and peak RSS on a ≥ 50 MB bulletin from tools/gen-bulletin.py;
//! * streaming the typed records of a ≥ 50 MB bulletin package (`IbPackage::records`, st96's
//!   `IbToOfficeReader`): MB/s against inflating the same XML entry and discarding it, and peak RSS
//!   (`cargo bench -p hague-package -- --records` runs only this part).
//!
//! Run: `cargo bench -p hague-package` (needs `zip`, `unzip`, python3 and the installed schemas).
//! Data goes to target/bench-data (kept between runs). `IPGATE_BENCH_MB` sets the package size.
#![allow(clippy::unwrap_used)]
#![recursion_limit = "512"]

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hague_package::{BuildOptions, Options, Schemas, build, validate_package};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for c in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
    }
}

/// A JPEG header (800x600) padded with comment segments of random bytes up to `size`.
fn jpeg(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    while j.len() + 65_537 + 20 < size {
        let mut seg = vec![0u8; 65_533];
        rng.fill(&mut seg);
        j.extend_from_slice(&[0xFF, 0xFE, 0xFF, 0xFF]);
        j.extend_from_slice(&seg);
    }
    j.extend_from_slice(&[
        0xFF, 0xC0, 0, 11, 8, 0x02, 0x58, 0x03, 0x20, 1, 1, 0x11, 0, 0xFF, 0xD9,
    ]);
    j
}

/// A PDF whose stream is `size` bytes of half-compressible content.
fn pdf(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut body = vec![0u8; size];
    rng.fill(&mut body);
    for (i, b) in body.iter_mut().enumerate() {
        if (i / 64) % 2 == 0 {
            *b = b'A' + (i % 23) as u8;
        }
    }
    let mut p = format!("%PDF-1.4\n1 0 obj\n<< /Length {size} >>\nstream\n").into_bytes();
    p.extend_from_slice(&body);
    p.extend_from_slice(b"\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n");
    p
}

fn make_input(dir: &Path, total_mb: usize) {
    if dir.join("app.xml").is_file() {
        return;
    }
    std::fs::create_dir_all(dir.join("designs")).unwrap();
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    let n = 160;
    let each = total_mb * 1024 * 1024 / (2 * n);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let template = std::fs::read_to_string(
        repo().join("../shared/st96/samples/hague/indirect_application_minimal.xml"),
    )
    .unwrap();
    let mut designs = String::new();
    let mut docs = String::new();
    for i in 1..=n {
        std::fs::write(
            dir.join(format!("designs/{i}.1.jpg")),
            jpeg(&mut rng, each.min(1_900_000)),
        )
        .unwrap();
        std::fs::write(dir.join(format!("docs/doc{i}.pdf")), pdf(&mut rng, each)).unwrap();
        designs.push_str(&format!(
            "<dgn:HagueDesign><dgn:DesignIdentifier>{i}</dgn:DesignIdentifier><com:LocarnoClassificationBag><com:LocarnoClassificationEdition>14</com:LocarnoClassificationEdition><com:LocarnoClassification><com:LocarnoClass>06</com:LocarnoClass></com:LocarnoClassification></com:LocarnoClassificationBag><com:ProductDescriptionTextBag><com:ProductDescriptionText com:languageCode=\"en\">Chair</com:ProductDescriptionText></com:ProductDescriptionTextBag><dgn:ViewBag><dgn:View><com:FileName>designs/{i}.1.jpg</com:FileName><dgn:ViewIdentifier>{i}.1</dgn:ViewIdentifier><dgn:ViewFileFormatCategory>JPEG</dgn:ViewFileFormatCategory></dgn:View></dgn:ViewBag></dgn:HagueDesign>\n"
        ));
        let kind = if i == 1 {
            "INTERNATIONAL_DESIGN_APPLICATION"
        } else {
            "MISCELLANEOUS"
        };
        docs.push_str(&format!(
            "<com:DocumentIncluded><com:DocumentName>Doc {i}</com:DocumentName><com:FileName>docs/doc{i}.pdf</com:FileName><com:DocumentFormatCategory>PDF</com:DocumentFormatCategory><com:DocumentKindCategory>{kind}</com:DocumentKindCategory></com:DocumentIncluded>\n"
        ));
    }
    let s = template.find("<dgn:HagueDesignBag>").unwrap() + "<dgn:HagueDesignBag>".len();
    let e = template.find("</dgn:HagueDesignBag>").unwrap();
    let mut xml = format!("{}\n{designs}{}", &template[..s], &template[e..]);
    let s = xml.find("<com:DocumentIncludedBag>").unwrap() + "<com:DocumentIncludedBag>".len();
    let e = xml.find("</com:DocumentIncludedBag>").unwrap();
    xml = format!("{}\n{docs}{}", &xml[..s], &xml[e..]);
    xml = xml
        .replace(
            "<dgn:DesignTotalQuantity>1<",
            &format!("<dgn:DesignTotalQuantity>{n}<"),
        )
        .replace(
            "<dgn:ViewTotalQuantity>1<",
            &format!("<dgn:ViewTotalQuantity>{n}<"),
        );
    std::fs::write(dir.join("app.xml"), xml).unwrap();
}

fn best<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
    }
    best
}

fn run(cmd: &mut Command) {
    let s = cmd.status().unwrap();
    assert!(s.success(), "{cmd:?} failed");
}

fn peak_rss_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn xsd_child(bulletin: &Path) {
    let schema = repo().join("xsd/wipo/V6_0/HagueIBToOfficeTransaction_V6_0.xsd");
    let t = Instant::now();
    hague_package::preload_schema(&schema).unwrap();
    let compile = t.elapsed();
    let rss_before = peak_rss_kb();
    let size = std::fs::metadata(bulletin).unwrap().len();
    let t = Instant::now();
    let f = std::fs::File::open(bulletin).unwrap();
    let out = hague_package::validate_xml(
        &schema,
        BufReader::with_capacity(256 * 1024, f),
        "bulletin.xml",
        256,
        100,
    )
    .unwrap();
    let el = t.elapsed();
    let rss = peak_rss_kb();
    println!(
        "xsd: {:.1} MB bulletin validated in {:.2} s = {:.1} MB/s, {} findings; schema compile {:.2} s; peak RSS {} MB (after compile {} MB)",
        size as f64 / 1e6,
        el.as_secs_f64(),
        size as f64 / 1e6 / el.as_secs_f64(),
        out.findings.len(),
        compile.as_secs_f64(),
        rss / 1024,
        rss_before / 1024
    );
    for f in out.findings.iter().take(3) {
        println!("  {f}");
    }
}

/// Streams the records of a bulletin package in a fresh process, so that the peak RSS is its own.
fn records_child(zip: &Path) {
    use hague_package::{IbPackage, Limits};
    let size = std::fs::metadata(zip).unwrap().len();
    let mut pkg = IbPackage::open(zip, &Limits::default()).unwrap();
    let xml = pkg.xml_name().to_owned();
    let xml_size = pkg
        .files()
        .iter()
        .find(|(n, _)| *n == xml)
        .map(|(_, s)| *s)
        .unwrap();
    // Floor: inflate the XML entry and throw it away.
    let t_floor = best(3, || {
        let mut r = pkg.open_file(&xml).unwrap();
        let n = std::io::copy(&mut r, &mut std::io::sink()).unwrap();
        assert_eq!(n, xml_size, "the whole XML entry is inflated");
    });
    let rss_floor = peak_rss_kb();
    let mut records = 0u64;
    let mut files = 0usize;
    let t_records = best(3, || {
        records = 0;
        files = 0;
        pkg.records(|r| {
            records += 1;
            files += r.files.len();
            true
        })
        .unwrap();
    });
    let rss = peak_rss_kb();
    println!(
        "records: {:.1} MB package ({:.1} MB XML), {records} typed records ({files} file references) in {:.2} s = {:.1} MB/s of XML; inflate-only floor {:.2} s, ratio {:.1}x; peak RSS {} MB (after the floor {} MB)",
        size as f64 / 1e6,
        xml_size as f64 / 1e6,
        t_records.as_secs_f64(),
        xml_size as f64 / 1e6 / t_records.as_secs_f64(),
        t_floor.as_secs_f64(),
        t_records.as_secs_f64() / t_floor.as_secs_f64(),
        rss / 1024,
        rss_floor / 1024
    );
}

/// Makes (once) a ≥ 50 MB bulletin package and measures record streaming in a child process.
fn records_bench(data: &Path) {
    let dir = data.join("bulletin-pkg");
    let zip = data.join("bulletin-50mb.zip");
    if !zip.is_file() {
        std::fs::create_dir_all(&dir).unwrap();
        // Files written with --images and zipped with zip(1): at this size gen-bulletin.py's own
        // --zip writes some grant PDFs twice (two grants by one office for one IRN), which the
        // safety checks rightly refuse as duplicate entries.
        run(Command::new("python3")
            .arg(repo().join("tools/gen-bulletin.py"))
            .args(["--size-mb", "50", "--image-bytes", "2048", "--out"])
            .arg(dir.join("bulletin.xml"))
            .arg("--images")
            .arg(&dir)
            .stderr(std::process::Stdio::null()));
        run(Command::new("zip")
            .args(["-rq", "-n", ".jpg"])
            .arg(&zip)
            .arg(".")
            .current_dir(&dir));
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--records-child")
        .arg(&zip)
        .output()
        .unwrap();
    std::io::stdout().write_all(&out.stdout).unwrap();
    std::io::stderr().write_all(&out.stderr).unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--xsd-child") {
        xsd_child(Path::new(&args[i + 1]));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--records-child") {
        records_child(Path::new(&args[i + 1]));
        return;
    }
    if args.iter().any(|a| a == "--records") {
        let data = repo().join("target/bench-data");
        std::fs::create_dir_all(&data).unwrap();
        records_bench(&data);
        return;
    }
    let data = repo().join("target/bench-data");
    std::fs::create_dir_all(&data).unwrap();
    let mb: usize = std::env::var("IPGATE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(280);
    let input = data.join(format!("app-{mb}mb"));
    make_input(&input, mb);
    let ours = data.join("ours.zip");
    let theirs = data.join("zip-r.zip");
    let opts = BuildOptions {
        validation: Options {
            schemas: Schemas::Dirs(vec![repo().join("xsd/wipo")]),
            ..Options::default()
        },
        allow_invalid: false,
        require_schema: true,
    };
    // Warm the page cache and the schema cache.
    let first = build(&input, &ours, &opts).unwrap();
    assert!(first.written, "{:#?}", first.report.findings);
    let t_build = best(3, || {
        let o = build(&input, &ours, &opts).unwrap();
        assert!(o.written);
    });
    let t_zip = best(3, || {
        let _ = std::fs::remove_file(&theirs);
        run(Command::new("zip")
            .arg("-rq")
            .arg(&theirs)
            .arg(".")
            .current_dir(&input));
    });
    let theirs_n = data.join("zip-rn.zip");
    let t_zip_n = best(3, || {
        let _ = std::fs::remove_file(&theirs_n);
        run(Command::new("zip")
            .args(["-rq", "-n", ".jpg"])
            .arg(&theirs_n)
            .arg(".")
            .current_dir(&input));
    });
    let size = std::fs::metadata(&ours).unwrap().len();
    let files = std::fs::read_dir(input.join("designs")).unwrap().count()
        + std::fs::read_dir(input.join("docs")).unwrap().count();
    println!(
        "build: {:.1} MB package, {} files + XML: ours {:.3} s, zip -r {:.3} s, ratio {:.2}x (target <= 1.0)",
        size as f64 / 1e6,
        files,
        t_build.as_secs_f64(),
        t_zip.as_secs_f64(),
        t_build.as_secs_f64() / t_zip.as_secs_f64()
    );
    println!(
        "build: zip -r -n .jpg {:.3} s, ratio {:.2}x",
        t_zip_n.as_secs_f64(),
        t_build.as_secs_f64() / t_zip_n.as_secs_f64()
    );
    let vopts = opts.validation.clone();
    let t_val = best(3, || {
        let r = validate_package(&ours, &vopts).unwrap();
        assert!(r.is_valid(), "{:#?}", r.findings);
    });
    let t_unzip = best(3, || {
        run(Command::new("unzip")
            .arg("-tq")
            .arg(&ours)
            .stdout(std::process::Stdio::null()))
    });
    println!(
        "validate: ours {:.3} s (XSD + rules + CRC of every entry), unzip -t {:.3} s, ratio {:.2}x (target <= 1.5)",
        t_val.as_secs_f64(),
        t_unzip.as_secs_f64(),
        t_val.as_secs_f64() / t_unzip.as_secs_f64()
    );
    // Same inputs, same bytes.
    let a = first.sha256.unwrap();
    let b = build(&input, &ours, &opts).unwrap().sha256.unwrap();
    println!(
        "determinism: {}",
        if a == b {
            "same SHA-256 on rebuild"
        } else {
            "DIFFERENT"
        }
    );

    let bulletin = data.join("bulletin-50mb.xml");
    if !bulletin.is_file() {
        run(Command::new("python3")
            .arg(repo().join("tools/gen-bulletin.py"))
            .args(["--size-mb", "50", "--out"])
            .arg(&bulletin));
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--xsd-child")
        .arg(&bulletin)
        .output()
        .unwrap();
    std::io::stdout().write_all(&out.stdout).unwrap();
    std::io::stderr().write_all(&out.stderr).unwrap();
    records_bench(&data);
}
