"""CAP 1.2 files validate against the OASIS schema; Atom, JSON Feed, sitemap are well-formed."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from static_site.builder import BuildReport

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "CAP-v1.2.xsd")))


def test_every_cap_message_is_valid_cap_1_2(built: BuildReport, site_dir: Path) -> None:
    files = sorted((site_dir / "cap").glob("*.xml"))
    messages = [f for f in files if f.name != "index.xml"]
    assert len(messages) == 10
    for file in messages:
        document = etree.parse(str(file))
        assert SCHEMA.validate(document), (file.name, SCHEMA.error_log)
    alert = etree.parse(str(messages[0])).getroot()
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert alert.findtext("cap:info/cap:area/cap:geocode/cap:value", namespaces=ns) == "75"


def test_schema_rejects_a_broken_message(built: BuildReport, site_dir: Path) -> None:
    file = next(f for f in (site_dir / "cap").glob("*.xml") if f.name != "index.xml")
    broken = file.read_text().replace("<status>Actual</status>", "<status>Real</status>")
    assert not SCHEMA.validate(etree.fromstring(broken.encode()))


def test_cap_index_lists_every_message(built: BuildReport, site_dir: Path) -> None:
    index = etree.parse(str(site_dir / "cap" / "index.xml")).getroot()
    links = index.findall(".//{http://www.w3.org/2005/Atom}link[@type='application/cap+xml']")
    assert len(links) == 10


def test_atom_json_feed_and_sitemaps(built: BuildReport, site_dir: Path) -> None:
    atom = etree.parse(str(site_dir / "feed.xml")).getroot()
    assert len(atom.findall("{http://www.w3.org/2005/Atom}entry")) == 5
    feed = json.loads((site_dir / "en" / "feed.json").read_text())
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert all(item["language"] == "en" for item in feed["items"]) and feed["items"]
    index = etree.parse(str(site_dir / "sitemap.xml")).getroot()
    locs = [e.text for e in index.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://info-crise.example.gouv.fr/articles/sitemap.xml" in locs
    for sub in ("sitemap-main.xml", "articles/sitemap.xml", "en/articles/sitemap.xml"):
        etree.parse(str(site_dir / sub))
    status = json.loads((site_dir / "status.json").read_text())
    assert status["crises"][0]["level"] == 2 and status["version"]
    assert "Sitemap: https://info-crise.example.gouv.fr/sitemap.xml" in (site_dir / "robots.txt").read_text()
