#!/usr/bin/env python3
"""Generate a synthetic, schema-valid Hague weekly bulletin in WIPO ST.96 V6_0.

Writes a `dgn:HagueIBToOfficeTransaction` whose `dgn:HagueBulletin` holds a
`dgn:HagueBulletinTransactionHeader` (bulletin number, publication date, total and per-category
counts) and a `dgn:HagueBulletinTransactionBag` with, in schema order:

    dgn:HagueRegistrationBag     ~85 % of the bytes (1-4 designs, 1-4 JPEG views each, designers)
    dgn:HagueRenewalBag          ~5 %
    dgn:HagueRefusalBag          ~5 %  (total and partial refusals with grounds)
    dgn:HagueGrantProtectionBag  ~5 %  (each with one supporting PDF in com:DocumentIncludedBag)

The records follow `xsd/wipo/V6_0/HagueIBToOfficeTransaction_V6_0.xsd` (element order, required
elements, enumerations such as dgn:HagueBulletinTransactionCategory, dgn:ViewTypeCategory,
dgn:HagueAgreementActCategory). They are synthetic: names, numbers and dates are made up. Output is
deterministic for a given --seed and size. Only the Python standard library is needed.

Usage
-----
    tools/gen-bulletin.py --size-mb 50 --out target/bulletin-50mb.xml [--seed 1]
    tools/gen-bulletin.py --registrations 20 --out b.xml --images imgdir --zip b.zip

Options
-------
    --out FILE            the bulletin XML to write (required)
    --size-mb N           approximate size of the XML in MiB (1 MiB = 1,048,576 bytes); the file is
                          at least N MiB. Default 1.
    --registrations N     instead of --size-mb: exactly N registrations, and max(1, N // 10)
                          renewals, refusals and grants.
    --seed N              random seed (default 1). Same seed + same size = same bytes.
    --bulletin-number S   dgn:HagueBulletinNumber, default "2026/47"
    --publication-date D  com:PublicationDate (YYYY-MM-DD), default 2026-11-20
    --st96-version V      value written to com:st96Version (default V6_0; use V7_0 to exercise the
                          "declares another version" path of readers; the file is then no longer
                          valid against the V6_0 XSD, whose attribute is fixed)
    --images DIR          also write every referenced file under DIR (see layout below)
    --zip FILE            also write a bulletin package: a ZIP holding the XML (at the top, under the
                          name of --out) and the same folders as --images
    --image-bytes N       pad each JPEG to at least N bytes with a JPEG comment segment (default: no
                          padding; images are then ~300-600 bytes)
    --validate XSD        after writing, validate the XML with lxml against XSD (needs
                          `pip install lxml`; for checking the generator, not needed otherwise)

Layout of --images / --zip
--------------------------
One folder per international registration, named after the IRN without the slash
(`DM/201234` -> `DM201234/`), like the IRN-named sub-directories of WIPO's bulletin image archive.
Every `com:FileName` in the XML is the exact relative path of the file from the XML's folder:

    DM201234/DM201234_D001_V01.jpg   design 1, view 1 (dgn:View/com:FileName)
    DM201234/DM201234_GRANT_XX.pdf   supporting document of a grant by office XX
                                     (com:DocumentIncluded/com:FileName)

JPEGs are small, valid baseline greyscale JPEGs (64x64, blocks of grey) made here; PDFs are
minimal valid one-page PDFs. Files are deterministic (seeded by --seed and the file name).

Checking validity (documented command; lxml is only needed for this check):
    python3 tools/install-schemas.py V6_0 ../shared/st96/V6_0   # once
    pip install lxml
    tools/gen-bulletin.py --registrations 30 --out /tmp/b.xml \\
        --validate xsd/wipo/V6_0/HagueIBToOfficeTransaction_V6_0.xsd
    tools/test-gen-bulletin.sh   # the same plus images, ZIP and JPEG checks
"""

import argparse
import datetime as dt
import os
import random
import shutil
import struct
import sys
import tempfile
import zipfile
from xml.sax.saxutils import escape

COM_NS = "http://www.wipo.int/standards/XMLSchema/ST96/Common"
DGN_NS = "http://www.wipo.int/standards/XMLSchema/ST96/Design"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = (
    DGN_NS + " https://www.wipo.int/standards/XMLSchema/ST96/V6_0/Design/Flatten/"
    "HagueIBToOfficeTransaction_V6_0.xsd"
)

# Values below are members of the V6_0 enumerations (WIPOST3CodeType, ISOCountryCodeType,
# ISOLanguageCodeType, ...). Checked by --validate.
DESIGNATED = ["EM", "US", "JP", "KR", "CH", "CN", "GB", "CA", "MX", "SG", "TR", "NO", "RU", "IL",
              "MA", "TN", "UA", "RS", "MK", "ME", "MD", "AM", "AZ", "GE", "KH", "VN", "BR", "ID"]
OFFICES = ["US", "JP", "KR", "CN", "MX", "RU", "IL", "TR", "SY", "VN", "EM", "GB"]
COUNTRIES = [("CH", "Genève", "1211"), ("DE", "München", "80331"), ("FR", "Paris", "75008"),
             ("IT", "Milano", "20121"), ("US", "New York", "10001"), ("JP", "Tokyo", "100-0001"),
             ("KR", "Seoul", "04524"), ("ES", "Madrid", "28001"), ("NL", "Eindhoven", "5611"),
             ("SE", "Stockholm", "111 22"), ("DK", "København", "1050"), ("CN", "Shenzhen", "518000")]
LANGUAGES = ["en", "fr", "es"]
FIRST = ["Anna", "Jean", "María", "Kenji", "Ji-woo", "Lars", "Giulia", "Pierre", "Sofía", "Hans",
         "Ingrid", "Chen", "Olivia", "Mateo", "Amélie", "Björn"]
LAST = ["Müller", "Dupont", "García", "Tanaka", "Kim", "Andersen", "Rossi", "Lefèvre", "Smith",
        "Nakamura", "Schmidt", "Larsen", "Martínez", "Wang", "O'Brien", "Novák"]
ORG_A = ["Nordic", "Alpine", "Pacific", "Atlas", "Helvetia", "Orion", "Lumen", "Vega", "Delta",
         "Aurora", "Zenith", "Borealis"]
ORG_B = ["Design", "Furniture", "Lighting", "Textiles", "Electronics", "Motors", "Tools", "Optics"]
ORG_C = ["AG", "GmbH", "S.A.", "Ltd.", "Inc.", "S.p.A.", "K.K.", "& Co. KG", "B.V.", "AB"]
STREETS = ["Rue du Rhône", "Hauptstraße", "Via Roma", "Main Street", "Calle Mayor", "Kungsgatan",
           "Chome-1-2 Marunouchi", "Strandvejen"]
# (Locarno class, subclass, product indication)
PRODUCTS = [("06", "01", "Chairs"), ("06", "03", "Tables"), ("26", "05", "Lamps"),
            ("14", "03", "Mobile phones"), ("12", "08", "Motor cars"), ("10", "02", "Watches"),
            ("07", "02", "Cooking pots"), ("02", "04", "Footwear"), ("09", "01", "Bottles"),
            ("21", "01", "Toys"), ("11", "01", "Jewellery"), ("03", "01", "Handbags"),
            ("14", "04", "Graphical user interfaces"), ("25", "02", "Prefabricated building parts")]
VIEW_TYPES = ["Perspective", "Front", "Back", "Top", "Bottom", "Left", "Right"]
GROUNDS = ["Lack of novelty", "Insufficient disclosure", "Conflicting application or registration",
           "Public order", "Other"]
ACTS = ["Act1999", "Act1960"]


def irn_text(n):
    return "DM/%06d" % n


def irn_folder(irn):
    return irn.replace("/", "")


class Records:
    """Makes the XML text of each record kind; all randomness comes from one seeded RNG."""

    def __init__(self, seed, publication_date):
        self.rng = random.Random(seed)
        self.pub = publication_date
        self.record_id = 970000000 + seed % 1000 * 10000
        self.files = []  # (relative path, kind) of every referenced file, each path once
        self.seen = set()  # paths already in self.files

    def add_file(self, path, kind):
        # Two records may reference the same file (e.g. two grants by the same office for the
        # same IRN both name DM.../..._GRANT_XX.pdf): list it once, so the ZIP and --images
        # get one entry per path while every com:FileName still resolves.
        if path not in self.seen:
            self.seen.add(path)
            self.files.append((path, kind))

    def next_record_id(self):
        self.record_id += 1
        return str(self.record_id)

    def date_before(self, days_min, days_max, ref=None):
        ref = ref or self.pub
        return ref - dt.timedelta(days=self.rng.randint(days_min, days_max))

    def person(self):
        return "%s %s" % (self.rng.choice(FIRST), self.rng.choice(LAST))

    def organisation(self):
        r = self.rng
        return "%s %s %s" % (r.choice(ORG_A), r.choice(ORG_B), r.choice(ORG_C))

    def address(self, ind):
        r = self.rng
        country, city, post = r.choice(COUNTRIES)
        return (
            f"{ind}<com:PostalAddressBag>\n"
            f"{ind}  <com:PostalAddress>\n"
            f"{ind}    <com:PostalStructuredAddress>\n"
            f'{ind}      <com:AddressLineText com:sequenceNumber="1">{escape(r.choice(STREETS))} '
            f"{r.randint(1, 240)}</com:AddressLineText>\n"
            f"{ind}      <com:CityName>{escape(city)}</com:CityName>\n"
            f"{ind}      <com:CountryCode>{country}</com:CountryCode>\n"
            f"{ind}      <com:PostalCode>{escape(post)}</com:PostalCode>\n"
            f"{ind}    </com:PostalStructuredAddress>\n"
            f"{ind}  </com:PostalAddress>\n"
            f"{ind}</com:PostalAddressBag>\n"
        ), country

    def holder_bag(self, ind):
        r = self.rng
        out = [f"{ind}<dgn:HolderBag>\n"]
        for seq in range(1, r.choice([2, 1, 1, 1]) + 1):
            if r.random() < 0.6:
                name = (
                    f"{ind}        <com:OrganizationName>\n"
                    f"{ind}          <com:OrganizationStandardName>{escape(self.organisation())}"
                    f"</com:OrganizationStandardName>\n"
                    f"{ind}        </com:OrganizationName>\n"
                )
            else:
                name = (
                    f"{ind}        <com:PersonName>\n"
                    f"{ind}          <com:PersonFullName>{escape(self.person())}</com:PersonFullName>\n"
                    f"{ind}        </com:PersonName>\n"
                )
            address, country = self.address(ind + "      ")
            party = r.choice(["EM", "CH", "US", "JP", "KR", "CN"])
            out.append(
                f'{ind}  <dgn:Holder com:sequenceNumber="{seq}">\n'
                f"{ind}    <dgn:ApplicantContractingParty>{party}</dgn:ApplicantContractingParty>\n"
                f"{ind}    <com:Contact>\n"
                f"{ind}      <com:Name>\n{name}{ind}      </com:Name>\n"
                f"{address}"
                f"{ind}    </com:Contact>\n"
                f"{ind}  </dgn:Holder>\n"
            )
            del country
        out.append(f"{ind}</dgn:HolderBag>\n")
        return "".join(out)

    def designated(self, ind):
        r = self.rng
        codes = sorted(r.sample(DESIGNATED, r.randint(1, 8)))
        out = [f"{ind}<dgn:DesignatedCountryBag>\n"]
        for code in codes:
            out.append(
                f"{ind}  <dgn:DesignatedCountry>\n"
                f"{ind}    <com:DesignatedCountryCode>{code}</com:DesignatedCountryCode>\n"
                f"{ind}    <dgn:HagueAgreementActCategory>{r.choice(ACTS)}"
                f"</dgn:HagueAgreementActCategory>\n"
                f"{ind}  </dgn:DesignatedCountry>\n"
            )
        out.append(f"{ind}</dgn:DesignatedCountryBag>\n")
        return "".join(out)

    def affected(self, ind, designs):
        r = self.rng
        if designs <= 1 or r.random() < 0.5:
            return (f"{ind}<dgn:AffectedDesign>\n"
                    f"{ind}  <dgn:AllDesignsIndicator>true</dgn:AllDesignsIndicator>\n"
                    f"{ind}</dgn:AffectedDesign>\n")
        picked = sorted(r.sample(range(1, designs + 1), r.randint(1, designs - 1)))
        ids = "".join(f"{ind}    <dgn:DesignIdentifier>{i}</dgn:DesignIdentifier>\n" for i in picked)
        return (f"{ind}<dgn:AffectedDesign>\n{ind}  <dgn:DesignIdentifierBag>\n{ids}"
                f"{ind}  </dgn:DesignIdentifierBag>\n{ind}</dgn:AffectedDesign>\n")

    def design(self, ind, irn, number, lang):
        r = self.rng
        cls, sub, product = r.choice(PRODUCTS)
        folder = irn_folder(irn)
        views = []
        for v in range(1, r.randint(1, 4) + 1):
            path = "%s/%s_D%03d_V%02d.jpg" % (folder, folder, number, v)
            self.add_file(path, "jpeg")
            views.append(
                f"{ind}      <dgn:View>\n"
                f"{ind}        <com:FileName>{path}</com:FileName>\n"
                f"{ind}        <dgn:ViewIdentifier>{number}.{v}</dgn:ViewIdentifier>\n"
                f"{ind}        <dgn:ViewFileFormatCategory>JPEG</dgn:ViewFileFormatCategory>\n"
                f"{ind}        <dgn:ViewTypeCategory>{VIEW_TYPES[(v - 1) % len(VIEW_TYPES)]}"
                f"</dgn:ViewTypeCategory>\n"
                f"{ind}      </dgn:View>\n"
            )
        designers = ""
        if r.random() < 0.7:
            designers = (
                f"{ind}    <dgn:DesignerBag>\n"
                f'{ind}      <dgn:Designer com:sequenceNumber="1">\n'
                f"{ind}        <com:Contact>\n"
                f"{ind}          <com:Name>\n"
                f"{ind}            <com:PersonName>\n"
                f"{ind}              <com:PersonFullName>{escape(self.person())}"
                f"</com:PersonFullName>\n"
                f"{ind}            </com:PersonName>\n"
                f"{ind}          </com:Name>\n"
                f"{ind}        </com:Contact>\n"
                f"{ind}      </dgn:Designer>\n"
                f"{ind}    </dgn:DesignerBag>\n"
            )
        return (
            f"{ind}<dgn:HagueDesign>\n"
            f"{ind}  <dgn:DesignIdentifier>{number}</dgn:DesignIdentifier>\n"
            f"{ind}  <dgn:ViewTotalQuantity>{len(views)}</dgn:ViewTotalQuantity>\n"
            f"{ind}  <com:LocarnoClassificationBag>\n"
            f"{ind}    <com:LocarnoClassificationEdition>15</com:LocarnoClassificationEdition>\n"
            f"{ind}    <com:LocarnoClassification>\n"
            f"{ind}      <com:LocarnoClass>{cls}</com:LocarnoClass>\n"
            f"{ind}      <com:LocarnoSubclassBag>\n"
            f"{ind}        <com:LocarnoSubclass>{sub}</com:LocarnoSubclass>\n"
            f"{ind}      </com:LocarnoSubclassBag>\n"
            f"{ind}    </com:LocarnoClassification>\n"
            f"{ind}  </com:LocarnoClassificationBag>\n"
            f"{ind}  <com:ProductDescriptionTextBag>\n"
            f'{ind}    <com:ProductDescriptionText com:languageCode="{lang}">{product}'
            f"</com:ProductDescriptionText>\n"
            f"{ind}  </com:ProductDescriptionTextBag>\n"
            f"{designers}"
            f"{ind}  <dgn:ViewBag>\n{''.join(views)}{ind}  </dgn:ViewBag>\n"
            f"{ind}</dgn:HagueDesign>\n"
        )

    def registration(self, irn):
        r = self.rng
        ind = "        "
        filing = self.date_before(30, 400)
        registration = filing + dt.timedelta(days=r.randint(0, 20))
        expiry = registration.replace(year=registration.year + 5) if not (
            registration.month == 2 and registration.day == 29) else dt.date(
            registration.year + 5, 3, 1)
        lang = r.choice(LANGUAGES)
        designs = r.choice([1, 1, 1, 2, 2, 3, 4])
        design_xml = "".join(self.design(ind + "    ", irn, n, lang) for n in range(1, designs + 1))
        return (
            f"{ind}<dgn:HagueRegistration>\n"
            f"{ind}  <com:InternationalRegistrationNumber>{irn}</com:InternationalRegistrationNumber>\n"
            f"{ind}  <com:RecordIdentifier>{self.next_record_id()}</com:RecordIdentifier>\n"
            f"{ind}  <com:InternationalRegistrationDate>{registration}</com:InternationalRegistrationDate>\n"
            f"{ind}  <com:InternationalFilingDate>{filing}</com:InternationalFilingDate>\n"
            f"{ind}  <com:FeeCalculationDate>{filing}</com:FeeCalculationDate>\n"
            f"{ind}  <com:FilingLanguageCode>{lang}</com:FilingLanguageCode>\n"
            f"{self.designated(ind + '  ')}"
            f"{ind}  <com:ExpiryDate>{expiry}</com:ExpiryDate>\n"
            f"{ind}  <dgn:DesignTotalQuantity>{designs}</dgn:DesignTotalQuantity>\n"
            f"{self.holder_bag(ind + '  ')}"
            f"{ind}  <dgn:HagueDesignBag>\n{design_xml}{ind}  </dgn:HagueDesignBag>\n"
            f"{ind}</dgn:HagueRegistration>\n"
        )

    def renewal(self, irn):
        r = self.rng
        ind = "        "
        renewal = self.date_before(0, 30)
        expiry = dt.date(renewal.year + 5, renewal.month, min(renewal.day, 28))
        return (
            f"{ind}<dgn:HagueRenewal>\n"
            f"{ind}  <com:InternationalRegistrationNumber>{irn}</com:InternationalRegistrationNumber>\n"
            f"{ind}  <com:RecordIdentifier>{self.next_record_id()}</com:RecordIdentifier>\n"
            f"{self.designated(ind + '  ')}"
            f"{ind}  <com:RenewalDate>{renewal}</com:RenewalDate>\n"
            f"{ind}  <com:FeeCalculationDate>{renewal}</com:FeeCalculationDate>\n"
            f"{ind}  <com:ExpiryDate>{expiry}</com:ExpiryDate>\n"
            f"{ind}  <dgn:RenewalPeriod>5</dgn:RenewalPeriod>\n"
            f"{self.affected(ind + '  ', r.randint(1, 4))}"
            f"{ind}</dgn:HagueRenewal>\n"
        )

    def refusal(self, irn):
        r = self.rng
        ind = "        "
        decision = self.date_before(10, 60)
        recorded = decision + dt.timedelta(days=r.randint(1, 9))
        grounds = "".join(
            f"{ind}    <dgn:DecisionGrounds>\n"
            f'{ind}      <dgn:DecisionGroundsText com:languageCode="en">The design lacks '
            f"novelty in view of prior design No. {r.randint(10000, 99999)}.</dgn:DecisionGroundsText>\n"
            f"{ind}      <dgn:DecisionGroundsCategory>{g}</dgn:DecisionGroundsCategory>\n"
            f"{ind}    </dgn:DecisionGrounds>\n"
            for g in r.sample(GROUNDS, r.randint(1, 2))
        )
        return (
            f"{ind}<dgn:HagueRefusal>\n"
            f"{ind}  <com:InternationalRegistrationNumber>{irn}</com:InternationalRegistrationNumber>\n"
            f"{ind}  <com:RecordIdentifier>{self.next_record_id()}</com:RecordIdentifier>\n"
            f"{ind}  <com:InternationalRecordingDate>{recorded}</com:InternationalRecordingDate>\n"
            f"{ind}  <com:RecordNotifyingOfficeCode>{r.choice(OFFICES)}</com:RecordNotifyingOfficeCode>\n"
            f"{ind}  <com:DecisionDate>{decision}</com:DecisionDate>\n"
            f"{self.affected(ind + '  ', r.randint(1, 4))}"
            f"{ind}  <dgn:DecisionGroundsBag>\n{grounds}{ind}  </dgn:DecisionGroundsBag>\n"
            f"{ind}</dgn:HagueRefusal>\n"
        )

    def grant(self, irn):
        r = self.rng
        ind = "        "
        decision = self.date_before(10, 60)
        recorded = decision + dt.timedelta(days=r.randint(1, 9))
        office = r.choice(OFFICES)
        folder = irn_folder(irn)
        path = "%s/%s_GRANT_%s.pdf" % (folder, folder, office)
        self.add_file(path, "pdf")
        return (
            f"{ind}<dgn:HagueGrantProtection>\n"
            f"{ind}  <com:InternationalRegistrationNumber>{irn}</com:InternationalRegistrationNumber>\n"
            f"{ind}  <com:RecordIdentifier>{self.next_record_id()}</com:RecordIdentifier>\n"
            f"{ind}  <com:InternationalRecordingDate>{recorded}</com:InternationalRecordingDate>\n"
            f"{ind}  <com:RecordNotifyingOfficeCode>{office}</com:RecordNotifyingOfficeCode>\n"
            f"{ind}  <com:DecisionDate>{decision}</com:DecisionDate>\n"
            f"{ind}  <com:DecisionEffectiveDate>{decision}</com:DecisionEffectiveDate>\n"
            f"{self.affected(ind + '  ', r.randint(1, 4))}"
            f"{ind}  <com:DocumentIncludedBag>\n"
            f'{ind}    <com:DocumentIncluded com:languageCode="en">\n'
            f"{ind}      <com:DocumentName>Statement of grant of protection</com:DocumentName>\n"
            f"{ind}      <com:FileName>{path}</com:FileName>\n"
            f"{ind}      <com:DocumentFormatCategory>PDF</com:DocumentFormatCategory>\n"
            f"{ind}      <com:DocumentKindCategory>GRANT_OF_PROTECTION_NO_PRIOR_REFUSAL"
            f"</com:DocumentKindCategory>\n"
            f"{ind}      <com:DocumentDate>{decision}</com:DocumentDate>\n"
            f"{ind}    </com:DocumentIncluded>\n"
            f"{ind}  </com:DocumentIncludedBag>\n"
            f"{ind}</dgn:HagueGrantProtection>\n"
        )


# (bag element, record method, share of the bytes, bulletin category)
KINDS = [
    ("HagueRegistrationBag", "registration", 0.85, "Registration"),
    ("HagueRenewalBag", "renewal", 0.05, "Renewal"),
    ("HagueRefusalBag", "refusal", 0.05, "Refusal"),
    ("HagueGrantProtectionBag", "grant", 0.05, "Grant protection"),
]


def write_bulletin(args):
    target = None if args.registrations else int(args.size_mb * 1024 * 1024)
    records = Records(args.seed, args.publication_date)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    parts = []
    counts = []
    next_irn = 200000 + (args.seed % 100) * 1000
    registered = []
    try:
        for bag, method, share, category in KINDS:
            tmp = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out_dir, delete=False,
                                              suffix=".part")
            parts.append(tmp.name)
            make = getattr(records, method)
            written = 0
            n = 0
            with tmp:
                tmp.write(f"      <dgn:{bag}>\n")
                while True:
                    if args.registrations:
                        want = args.registrations if method == "registration" else max(
                            1, args.registrations // 10)
                        if n >= want:
                            break
                    elif n >= 1 and written >= target * share:
                        break
                    if method == "registration":
                        irn = irn_text(next_irn)
                        next_irn += 1
                        registered.append(irn)
                    else:
                        irn = records.rng.choice(registered) if registered else irn_text(next_irn)
                    text = make(irn)
                    tmp.write(text)
                    written += len(text.encode("utf-8"))
                    n += 1
                tmp.write(f"      </dgn:{bag}>\n")
            counts.append((category, n))
        total = sum(n for _, n in counts)
        count_bag = "".join(
            "          <dgn:HagueBulletinTransactionCount>\n"
            f"            <dgn:HagueBulletinTransactionCategory>{c}</dgn:HagueBulletinTransactionCategory>\n"
            f"            <com:TransactionTotalQuantity>{n}</com:TransactionTotalQuantity>\n"
            "          </dgn:HagueBulletinTransactionCount>\n"
            for c, n in counts
        )
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            "<!-- Synthetic Hague bulletin made by tools/gen-bulletin.py (seed %d). Not WIPO data. -->\n"
            '<dgn:HagueIBToOfficeTransaction com:st96Version="%s" xmlns:com="%s" xmlns:dgn="%s" '
            'xmlns:xsi="%s" xsi:schemaLocation="%s">\n'
            "  <dgn:HagueBulletin>\n"
            "    <dgn:HagueBulletinTransactionHeader>\n"
            "      <dgn:HagueBulletinNumber>%s</dgn:HagueBulletinNumber>\n"
            "      <com:PublicationDate>%s</com:PublicationDate>\n"
            "      <com:TransactionTotalQuantity>%d</com:TransactionTotalQuantity>\n"
            "      <dgn:HagueBulletinTransactionCountBag>\n%s"
            "      </dgn:HagueBulletinTransactionCountBag>\n"
            "    </dgn:HagueBulletinTransactionHeader>\n"
            "    <dgn:HagueBulletinTransactionBag>\n"
        ) % (args.seed, args.st96_version, COM_NS, DGN_NS, XSI_NS, SCHEMA_LOCATION,
             escape(args.bulletin_number), args.publication_date, total, count_bag)
        tail = "    </dgn:HagueBulletinTransactionBag>\n  </dgn:HagueBulletin>\n</dgn:HagueIBToOfficeTransaction>\n"
        with open(args.out, "wb") as out:
            out.write(head.encode("utf-8"))
            for part in parts:
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
            out.write(tail.encode("utf-8"))
    finally:
        for part in parts:
            if os.path.exists(part):
                os.unlink(part)
    return counts, records.files


# ---- files: JPEG and PDF ------------------------------------------------------------------------

# Huffman table for the DC coefficients: the typical luminance DC table (ITU T.81 Annex K.3).
DC_COUNTS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
DC_SYMBOLS = list(range(12))
# AC table with a single code, "0" = end of block: every block holds only its DC coefficient.
AC_COUNTS = [1] + [0] * 15
AC_SYMBOLS = [0x00]


def huffman_codes(counts, symbols):
    codes = {}
    code = 0
    k = 0
    for length, count in enumerate(counts, start=1):
        for _ in range(count):
            codes[symbols[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


DC_CODES = huffman_codes(DC_COUNTS, DC_SYMBOLS)
EOB = huffman_codes(AC_COUNTS, AC_SYMBOLS)[0x00]


class BitWriter:
    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def put(self, value, length):
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0x00)  # byte stuffing
                self.acc = 0
                self.n = 0

    def finish(self):
        if self.n:
            self.put((1 << (8 - self.n)) - 1, 8 - self.n)  # pad with 1-bits
        return bytes(self.out)


def segment(marker, payload):
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def make_jpeg(rng, size=64, pad_to=0):
    """A baseline greyscale JPEG of size x size pixels made of flat 8x8 blocks of grey."""
    blocks = size // 8
    dq = 8  # quantiser of the DC coefficient: DC = mean - 128
    bits = BitWriter()
    previous = 0
    for _ in range(blocks * blocks):
        level = rng.randint(-100, 100)
        diff = level - previous
        previous = level
        magnitude = abs(diff)
        category = magnitude.bit_length()
        code, length = DC_CODES[category]
        bits.put(code, length)
        if category:
            bits.put(diff if diff > 0 else diff + (1 << category) - 1, category)
        bits.put(*EOB)
    data = bytearray(b"\xFF\xD8")
    data += segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    data += segment(0xDB, bytes([0, dq]) + bytes([16] * 63))
    data += segment(0xC0, struct.pack(">BHHB", 8, size, size, 1) + bytes([1, 0x11, 0]))
    data += segment(0xC4, bytes([0x00]) + bytes(DC_COUNTS) + bytes(DC_SYMBOLS))
    data += segment(0xC4, bytes([0x10]) + bytes(AC_COUNTS) + bytes(AC_SYMBOLS))
    data += segment(0xDA, bytes([1, 1, 0x00, 0, 63, 0]))
    data += bits.finish()
    data += b"\xFF\xD9"
    # Pad with comment segments (each adds 4 bytes of marker and length) after the JFIF segment.
    padding = bytearray()
    missing = pad_to - len(data)
    while missing > 0:
        chunk = max(1, min(missing - 4, 65533))
        filler = bytes(rng.choice(b"abcdefghij") for _ in range(64))
        padding += segment(0xFE, (filler * (chunk // 64 + 1))[:chunk])
        missing -= chunk + 4
    jfif_end = 2 + 18
    return bytes(data[:jfif_end] + padding + data[jfif_end:])


def make_pdf(title):
    """A minimal valid one-page PDF showing `title` (ASCII)."""
    text = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = ("BT /F1 14 Tf 72 720 Td (%s) Tj ET" % text).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def file_bytes(seed, path, kind, image_bytes):
    rng = random.Random("%d:%s" % (seed, path))
    if kind == "jpeg":
        return make_jpeg(rng, pad_to=image_bytes)
    return make_pdf("Statement of grant of protection - " + os.path.basename(path))


def write_files(args, files):
    if args.images:
        for path, kind in files:
            full = os.path.join(args.images, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(file_bytes(args.seed, path, kind, args.image_bytes))
    if args.zip:
        stamp = (args.publication_date.year, args.publication_date.month,
                 args.publication_date.day, 12, 0, 0)
        with zipfile.ZipFile(args.zip, "w") as z:
            info = zipfile.ZipInfo(os.path.basename(args.out), stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(args.out, "rb") as src, z.open(info, "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            folders = sorted({os.path.dirname(p) for p, _ in files})
            for folder in folders:
                z.writestr(zipfile.ZipInfo(folder + "/", stamp), b"")
            for path, kind in files:
                info = zipfile.ZipInfo(path, stamp)
                info.compress_type = zipfile.ZIP_STORED
                z.writestr(info, file_bytes(args.seed, path, kind, args.image_bytes))


def validate(xml_path, xsd_path):
    try:
        from lxml import etree  # only for checking the generator
    except ImportError:
        sys.exit("--validate needs lxml: pip install lxml")
    schema = etree.XMLSchema(etree.parse(xsd_path))
    doc = etree.parse(xml_path, etree.XMLParser(huge_tree=True, resolve_entities=False))
    if not schema.validate(doc):
        for err in list(schema.error_log)[:20]:
            print("invalid: line %d: %s" % (err.line, err.message), file=sys.stderr)
        sys.exit("%s is NOT valid against %s" % (xml_path, xsd_path))
    print("%s is valid against %s" % (xml_path, xsd_path))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See the module docstring (head of this file) for details.")
    p.add_argument("--out", required=True)
    size = p.add_mutually_exclusive_group()
    size.add_argument("--size-mb", type=float, default=1.0)
    size.add_argument("--registrations", type=int)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--bulletin-number", default="2026/47")
    p.add_argument("--publication-date", type=dt.date.fromisoformat,
                   default=dt.date(2026, 11, 20))
    p.add_argument("--st96-version", default="V6_0")
    p.add_argument("--images")
    p.add_argument("--zip")
    p.add_argument("--image-bytes", type=int, default=0)
    p.add_argument("--validate", metavar="XSD")
    args = p.parse_args(argv)
    if args.size_mb is not None and args.size_mb <= 0:
        p.error("--size-mb must be positive")
    if args.registrations is not None and args.registrations < 1:
        p.error("--registrations must be at least 1")
    return args


def main(argv):
    args = parse_args(argv)
    counts, files = write_bulletin(args)
    if args.images or args.zip:
        write_files(args, files)
    size = os.path.getsize(args.out)
    summary = ", ".join("%s %d" % (c, n) for c, n in counts)
    print("wrote %s: %d bytes (%.1f MiB); %s; %d referenced files"
          % (args.out, size, size / 1048576, summary, len(files)))
    if args.validate:
        validate(args.out, args.validate)


if __name__ == "__main__":
    main(sys.argv[1:])
