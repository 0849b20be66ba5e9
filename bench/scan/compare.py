#!/usr/bin/env python3
"""compare.py -- do defuse's findings cover logpresso's and mergebase's?

Usage: compare.py ROOT DEFUSE_JSONL LOGPRESSO_OUT MERGEBASE_OUT

A peer "finding" is a location the peer calls vulnerable (logpresso "[*] Found CVE-..." or
"[?] ... potentially" without "(mitigated)"; mergebase "_VULNERABLE_").  It is covered when
defuse reports a component with at least one CVE at that location (same top-level file and
the same innermost archive name).  Prints the misses and the CVE-level differences.
"""
import json, os, re, sys

root, dj, lpo, mbo = sys.argv[1:5]
root = os.path.abspath(root)

def norm(p):
    p = p.replace(root + '/./', '').replace(root + '/', '')
    return p[2:] if p.startswith('./') else p

comps = []
for line in open(dj):
    r = json.loads(line)
    if r.get('type') == 'component' and r['vulnerabilities']:
        comps.append((norm(r['path']), {v['id'] for v in r['vulnerabilities']}))

def covered(top, inner):
    for path, cves in comps:
        parts = path.split('!/')
        if parts[0] != top:
            continue
        if inner is None or os.path.basename(parts[-1]) == inner:
            return cves
    return None

miss, diff, n = [], [], {'logpresso': 0, 'mergebase': 0}
for line in open(lpo, errors='replace'):
    m = re.match(r'\[[*?]\] Found (CVE-[\d-]+) \(.*?\) vulnerability in (.*?)(?: \((.*)\))?, (?:log4j|version) (.*)$', line.strip())
    if not m or 'mitigated' in line:
        continue
    cve, path, nest, _ = m.groups()
    n['logpresso'] += 1
    inner = nest.split(' > ')[-1] if nest else None
    got = covered(norm(path), inner)
    if got is None:
        miss.append('logpresso: %s %s%s' % (cve, norm(path), ' (%s)' % nest if nest else ''))
    elif cve not in got:
        diff.append('logpresso says %s at %s%s; defuse: %s' % (cve, norm(path), ' (%s)' % nest if nest else '', ' '.join(sorted(got))))
for line in open(mbo, errors='replace'):
    if '_VULNERABLE_' not in line:
        continue
    path = line.split(' contains ')[0]
    n['mergebase'] += 1
    parts = norm(path).split('!/')
    got = covered(parts[0], os.path.basename(parts[-1]) if len(parts) > 1 else None)
    if got is None:
        miss.append('mergebase: ' + norm(path))
print('peer findings: %(logpresso)d logpresso, %(mergebase)d mergebase' % n)
print('missed by defuse: %d' % len(miss))
for m in miss:
    print('  ' + m)
print('CVE differences (LOG4J.md decides): %d' % len(diff))
for d in diff:
    print('  ' + d)
sys.exit(1 if miss else 0)
