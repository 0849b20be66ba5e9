#!/usr/bin/env bash
# sbom_corpus.sh -- the SBOM readers (register/sbom.h, driven by the
# sbom_dump test tool) over every real SBOM in ../shared/corpus/sboms: each
# parses, and its component count, the count without a version, with a purl
# and (CycloneDX) with a parent match an independent count made here with
# python3's json and xml.etree (SPDX tag-value: PackageName lines outside
# <text> blocks).  A CycloneDX BOM given as both JSON and XML must give the
# same components.  Skips (77) without the corpus or python3.
set -euo pipefail
: "${DEFUSE_BUILD:?}"
C="${DEFUSE_CORPUS:-}/sboms"
DUMP="$DEFUSE_BUILD/sbom_dump"
[ -d "$C" ] || { echo "skip: no SBOM corpus at $C"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
[ -x "$DUMP" ] || { echo "FAIL: $DUMP not built" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

shopt -s nullglob
files=()
for f in "$C"/*; do
  case "$f" in *.json|*.xml|*.spdx) files+=("$f");; esac
done
[ "${#files[@]}" -gt 0 ] || { echo "skip: no SBOM files in $C"; exit 77; }

"$DUMP" "${files[@]}" >"$T/ours.tsv" || fail "sbom_dump failed on the corpus"
python3 - "$T/ours.tsv" "${files[@]}" <<'PY'
import json, re, sys
import xml.etree.ElementTree as ET

def cdx_json(path):
    d = json.load(open(path, encoding="utf-8"))
    out = [0, 0, 0, 0]
    def walk(lst, nested):
        for c in lst or []:
            out[0] += 1
            out[1] += c.get("version") in (None, "")
            out[2] += bool(c.get("purl"))
            out[3] += nested
            walk(c.get("components"), 1)
    walk(d.get("components"), 0)
    return "cyclonedx-json", out

def cdx_xml(path):
    root = ET.parse(path).getroot()
    ns = root.tag[1:].split("}")[0]
    q = lambda t: "{%s}%s" % (ns, t)
    out = [0, 0, 0, 0]
    def walk(el, nested):
        if el is None:
            return
        for c in el.findall(q("component")):
            out[0] += 1
            v = c.find(q("version"))
            out[1] += v is None or not (v.text or "").strip()
            p = c.find(q("purl"))
            out[2] += p is not None and bool((p.text or "").strip())
            out[3] += nested
            walk(c.find(q("components")), 1)
    walk(root.find(q("components")), 0)
    return "cyclonedx-xml", out

def spdx_json(path):
    d = json.load(open(path, encoding="utf-8"))
    pk = d.get("packages") or []
    nover = sum(p.get("versionInfo") in (None, "", "NOASSERTION", "NONE") for p in pk)
    npurl = sum(any(r.get("referenceType") == "purl" for r in p.get("externalRefs") or []) for p in pk)
    return "spdx-json", [len(pk), nover, npurl, None]

def spdx_tv(path):
    text = re.sub(r"<text>.*?</text>", "", open(path, encoding="utf-8").read(), flags=re.S)
    n, nover, npurl, cur = 0, 0, 0, None
    pkgs = []
    for line in text.splitlines():
        if line.startswith("PackageName:"):
            pkgs.append({"v": None, "purl": False})
        elif line.startswith("FileName:"):
            pkgs.append(None)
        elif pkgs and pkgs[-1] is not None and line.startswith("PackageVersion:"):
            v = line.split(":", 1)[1].strip()
            pkgs[-1]["v"] = None if v in ("", "NOASSERTION", "NONE") else v
        elif pkgs and pkgs[-1] is not None and line.startswith("ExternalRef:") and " purl " in line:
            pkgs[-1]["purl"] = True
    pkgs = [p for p in pkgs if p is not None]
    return "spdx-tag-value", [len(pkgs), sum(p["v"] is None for p in pkgs), sum(p["purl"] for p in pkgs), None]

ours = {}
for line in open(sys.argv[1]):
    f, fmt, *nums = line.rstrip("\n").split("\t")
    ours[f] = (fmt, [int(x) for x in nums])
bad = 0
for path in sys.argv[2:]:
    head = open(path, encoding="utf-8", errors="replace").read(4096).lstrip("\ufeff \r\n\t")
    if head.startswith("<"):
        fmt, want = cdx_xml(path)
    elif head.startswith("{"):
        raw = open(path, encoding="utf-8").read()
        fmt, want = (cdx_json if '"bomFormat"' in raw else spdx_json)(path)
    else:
        fmt, want = spdx_tv(path)
    got_fmt, got = ours.get(path, (None, None))
    keep = [i for i in range(4) if want[i] is not None]
    ok = got_fmt == fmt and got is not None and all(got[i] == want[i] for i in keep)
    print("%-4s %s: %s %s (independent: %s %s)" % ("ok" if ok else "BAD", path.rsplit("/", 1)[-1],
          got_fmt, got, fmt, want))
    bad += not ok
sys.exit(1 if bad else 0)
PY

# The same BOM as JSON and as XML: the same (name, version, purl, parent) rows.
for j in "$C"/*.json; do
  x="${j%.json}.xml"
  [ -f "$x" ] || continue
  "$DUMP" -v "$j" | cut -f1,2,3,6 | sort >"$T/j"
  "$DUMP" -v "$x" | cut -f1,2,3,6 | sort >"$T/x"
  [ -s "$T/j" ] || fail "$j: no components"
  cmp -s "$T/j" "$T/x" || { diff "$T/j" "$T/x" | head; fail "$(basename "$j") and its XML twin differ"; }
  echo "ok   $(basename "$j") = $(basename "$x") ($(wc -l <"$T/j") components)"
done
echo "PASS"
