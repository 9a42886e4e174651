#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from the repository's fixtures and schemas.

Run from anywhere: `python3 fuzz/seed.py`. Files are named after their source, so a
second run rewrites the same seeds; inputs the fuzzer found are left alone. The corpora
are not committed (fuzz/.gitignore): they grow with every run.
"""

import base64
import json
import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
# The fixed clock of the targets (fuzz/src/lib.rs, NOW).
NOW = 1_767_225_600
# Larger schemas make every execution slow; the smaller ones cover the same syntax.
MAX_SCHEMA_BYTES = 32 * 1024


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("seed-" + name)).write_bytes(data)


def fixtures(kind):
    """(event name, file) for each fixture of a kind, broken ones included."""
    for folder in (ROOT / "tests/fixtures" / kind, ROOT / "tests/fixtures/broken" / kind):
        if folder.is_dir():
            for path in sorted(folder.glob("*.json")):
                yield path.name.rsplit(".", 2)[0], path


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def event_decode():
    for handler, path in fixtures("velo"):
        write("event_decode", path.name, handler.encode() + b"\n" + path.read_bytes())
    # Every event name, so that the fuzzer starts from each payload type.
    catalogue = (ROOT / "generated/EVENTS.md").read_text()
    for handler in re.findall(r"^\| \*?`(\w+)`", catalogue, re.MULTILINE):
        write("event_decode", handler + ".empty", handler.encode() + b"\n{}")


def webhooks():
    for event_type, path in fixtures("webhook"):
        body = path.read_bytes()
        write("webhook_paths", path.name, event_type.encode() + b"\n" + body)
        wrapper = json.dumps({"eventType": event_type, "instanceId": "inst-1", "data": body.decode()})
        claims = json.dumps({"data": wrapper, "iat": NOW, "exp": NOW + 300_000}).encode()
        header = json.dumps({"kid": "fuzz", "alg": "RS256"}).encode()
        token = b".".join([b64url(header), b64url(claims), b64url(bytes(256))])
        write("webhook_token", path.name + ".token", b"\x00" + token)
        write("webhook_token", path.name + ".claims", b"\x01" + claims)
        write("webhook_token", path.name + ".data", b"\x02" + wrapper.encode())


def velo_signature():
    tag = "0" * 64
    for name, header in {
        "genuine-shape": f"t={NOW},v1={tag}",
        "rotation": f"t={NOW},v1={tag},v1={'A' * 64}",
        "future-scheme": f"t={NOW},v2=zz,v1={tag}",
        "legacy": f"sha256={tag}",
    }.items():
        write("velo_signature", name, b"\x00" + header.encode())
    for name, (offset, extra) in {
        "now": (0, b""),
        "expired": (-301, b""),
        "future": (301, b""),
        "extra-v1": (0, b"v1=" + tag.encode()),
        "extra-t": (-1000, b"t=" + str(NOW).encode()),
    }.items():
        write("velo_signature", "signed-" + name, b"\x01" + struct.pack("<q", NOW + offset) + extra)


def schema_parse():
    for path in sorted(ROOT.glob("schemas/**/*.yaml")) + sorted(ROOT.glob("tests/bad_schemas/*.yaml")):
        if path.stat().st_size <= MAX_SCHEMA_BYTES:
            write("schema_parse", str(path.relative_to(ROOT)).replace("/", "_"), path.read_bytes())


if __name__ == "__main__":
    event_decode()
    webhooks()
    velo_signature()
    schema_parse()
    for target in sorted(CORPUS.iterdir()):
        print(f"{target.name}: {sum(1 for _ in target.iterdir())} inputs")
