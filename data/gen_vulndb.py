#!/usr/bin/env python3
"""gen_vulndb.py -- generates data/vulndb.json, the vulnerability data of `defuse scan`.

Usage: python3 data/gen_vulndb.py [CORPUS_JARS_DIR] > data/vulndb.json
       python3 data/gen_vulndb.py --embed data/vulndb.json > lib/vulndb_builtin.c
(the second form writes the built-in copy compiled into libdefuse, used when no data file is
found; tests/unit/test_inventory.c fails if it differs from data/vulndb.json)

Sources (facts reused as data, cited in the output's "sources"):
  - the CVE table of shared/docs/LOG4J.md (ranges, fixed versions, CVSS), written out below;
  - CORPUS/published_class_hashes.csv (sha256 rows only; hashes published by
    hillu/local-log4j-vuln-scanner filter/filter.go, see its "source" column);
  - CORPUS/class_hashes_computed.csv (sha256 of JndiLookup/JndiManager computed from the real
    log4j-core jars of the corpus).
Where a hash is listed with different versions, the union is kept (LOG4J.md: JndiLookup.class
is identical across 2.14.0-2.16.0).  The string markers below were observed in the real jars
of the corpus (every fix line: 2.3.1, 2.3.2, 2.12.2-2.12.4, 2.15.0-2.17.1, and Debian's 2.19.0)
and are extended to later releases as "like 2.17.1"; LOG4J.md lists the strings.
"""
import csv, json, os, sys

CORPUS = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != '--embed' else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'corpus', 'jars')

RELEASES = {
    'log4j-core': ['2.0-alpha1', '2.0-alpha2', '2.0-beta1', '2.0-beta2', '2.0-beta3', '2.0-beta4',
                   '2.0-beta5', '2.0-beta6', '2.0-beta7', '2.0-beta8', '2.0-beta9', '2.0-rc1',
                   '2.0-rc2', '2.0', '2.0.1', '2.0.2', '2.1', '2.2', '2.3', '2.3.1', '2.3.2', '2.4',
                   '2.4.1', '2.5', '2.6', '2.6.1', '2.6.2', '2.7', '2.8', '2.8.1', '2.8.2', '2.9.0',
                   '2.9.1', '2.10.0', '2.11.0', '2.11.1', '2.11.2', '2.12.0', '2.12.1', '2.12.2',
                   '2.12.3', '2.12.4', '2.13.0', '2.13.1', '2.13.2', '2.13.3', '2.14.0', '2.14.1',
                   '2.15.0', '2.16.0', '2.17.0', '2.17.1', '2.17.2', '2.18.0', '2.19.0', '2.20.0',
                   '2.21.0', '2.21.1', '2.22.0', '2.22.1', '2.23.0', '2.23.1', '2.24.0', '2.24.1',
                   '2.24.2', '2.24.3', '2.25.0', '2.25.1', '2.25.2'],
    'log4j': ['1.1.3', '1.2.4', '1.2.5', '1.2.6', '1.2.7', '1.2.8', '1.2.9', '1.2.11', '1.2.12',
              '1.2.13', '1.2.14', '1.2.15', '1.2.16', '1.2.17'],
    'reload4j': ['1.2.18.0', '1.2.18.1', '1.2.18.2', '1.2.18.3', '1.2.18.4', '1.2.18.5', '1.2.19',
                 '1.2.20', '1.2.21', '1.2.22', '1.2.23', '1.2.24', '1.2.25', '1.2.26'],
    'commons-text': ['1.0', '1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '1.7', '1.8', '1.9', '1.10.0',
                     '1.11.0', '1.12.0', '1.13.0', '1.13.1', '1.14.0'],
}

def R(product, a, b=None):
    """Releases of product from a to b inclusive (b None: to the last)."""
    rel = RELEASES[product]
    i = rel.index(a)
    j = rel.index(b) if b else len(rel) - 1
    return rel[i:j + 1]

CORE = 'log4j-core'
# LOG4J.md "Version history" table; its scores are the advisory's (GHSA/CNA vector),
# cvss_source 'advisory'; where NVD differs the summary says so.
VULNS = [
    dict(id='CVE-2021-44228', product=CORE, cvss=10.0, cvss_source='advisory', requires_class='JndiLookup',
         affected=[('2.0-beta9', '2.3.1'), ('2.4', '2.12.2'), ('2.13.0', '2.15.0')],
         fixed='2.15.0 / 2.12.2 / 2.3.1',
         summary='Log4Shell: JNDI lookup in logged data runs remote code'),
    dict(id='CVE-2021-45046', product=CORE, cvss=9.0, cvss_source='advisory', requires_class='JndiLookup',
         affected=[('2.0-beta9', '2.3.1'), ('2.4', '2.12.2'), ('2.13.0', '2.16.0')],
         fixed='2.16.0 / 2.12.2 (2.3.1)',
         summary='Context lookups in layouts reach JNDI (incomplete 2.15.0 fix)'),
    dict(id='CVE-2021-45105', product=CORE, cvss=8.6, cvss_source='advisory',
         affected=[('2.0-alpha1', '2.3.1'), ('2.4', '2.12.3'), ('2.13.0', '2.17.0')],
         fixed='2.17.0 / 2.12.3 / 2.3.1',
         summary='Uncontrolled recursion in lookups: denial of service (NVD 5.9)'),
    dict(id='CVE-2021-44832', product=CORE, cvss=6.6, cvss_source='advisory',
         affected=[('2.0-beta7', '2.3.2'), ('2.4', '2.12.4'), ('2.13.0', '2.17.1')],
         fixed='2.17.1 / 2.12.4 / 2.3.2',
         summary='JDBCAppender DataSource via JNDI from an attacker-controlled configuration'),
    # fixed_by: Debian's liblog4j1.2-java (changelog: 1.2.17-9 fixes CVE-2019-17571,
    # 1.2.17-11 fixes CVE-2021-4104, -23302 (by removing JMSAppender/JMSSink: requires_class
    # drops those), -23305 and -23307) patches SocketNode, JDBCAppender and chainsaw's
    # LoggingReceiver$Slurper to call hardening classes of its own.  A patch is recognised
    # by the SHA-256 of the patched class and of the hardening classes it calls (javap -c:
    # SocketNode -> FilteredObjectInputStream; Slurper -> HardenedLoggingEventInputStream ->
    # HardenedObjectInputStream; JDBCAppender -> JdbcPatternParser), never by a class's
    # presence: DEBIAN_PATCH below, checked against the installed jar when there is one.
    dict(id='CVE-2021-4104', product='log4j', cvss=8.1, cvss_source='advisory', requires_class='JMSAppender',
         affected=[('1.0', None)], fixed='none (end of life; use reload4j or log4j 2.17.1+)',
         summary='JMSAppender JNDI lookup from configuration (NVD 7.5)'),
    dict(id='CVE-2019-17571', product='log4j', cvss=9.8, cvss_source='advisory', requires_class='SocketServer',
         fixed_by=[('Debian liblog4j1.2-java 1.2.17-11', ['SocketNode', 'FilteredObjectInputStream'])],
         affected=[('1.2', None)], fixed='none (end of life)',
         summary='SocketServer deserializes untrusted data'),
    dict(id='CVE-2022-23302', product='log4j', cvss=8.8, cvss_source='advisory', requires_class='JMSSink',
         affected=[('1.0', None)], fixed='none (end of life)',
         summary='JMSSink JNDI lookup from configuration'),
    dict(id='CVE-2022-23305', product='log4j', cvss=9.8, cvss_source='advisory', requires_class='JDBCAppender',
         fixed_by=[('Debian liblog4j1.2-java 1.2.17-11', ['JDBCAppender', 'JdbcPatternParser'])],
         affected=[('1.0', None)], fixed='none (end of life)',
         summary='JDBCAppender SQL injection through logged data'),
    dict(id='CVE-2022-23307', product='log4j', cvss=9.8, cvss_source='advisory', requires_class='Chainsaw',
         fixed_by=[('Debian liblog4j1.2-java 1.2.17-11',
                    ['LoggingReceiver$Slurper', 'HardenedLoggingEventInputStream',
                     'HardenedObjectInputStream'])],
         affected=[('1.0', None)], fixed='none (end of life)',
         summary='Chainsaw deserialization (NVD 8.8)'),
    # Issue 10 item 14: CVEs that trivy and grype report.  cvss_source says whose score
    # it is: "NVD" (NIST's CVSS 3.x base score) or the CNA/vendor (Apache publishes
    # only a qualitative severity for these four).  Ranges from the CVE records
    # (cvelistV5 CNA "affected") and the Apache security page.
    dict(id='CVE-2017-5645', product=CORE, cvss=9.8, cvss_source='NVD',
         affected=[('2.0-alpha1', '2.8.2')], fixed='2.8.2 (none on the 2.3.x line)',
         summary='TcpSocketServer/UdpSocketServer deserialize untrusted log events'),
    dict(id='CVE-2020-9488', product=CORE, cvss=3.7, cvss_source='NVD',
         affected=[('2.0-alpha1', '2.12.3'), ('2.13.0', '2.13.2')], fixed='2.13.2 / 2.12.3',
         summary='SMTP appender does not verify the host name of the SMTPS certificate'),
    dict(id='CVE-2020-9488', product='log4j', cvss=3.7, cvss_source='NVD',
         requires_class='SMTPAppender', affected=[('1.0', None)],
         fixed='none (end of life; reload4j 1.2.18.1)',
         summary='SMTPAppender does not verify the host name of the SMTPS certificate'),
    dict(id='CVE-2020-9493', product='log4j', cvss=9.8, cvss_source='NVD',
         requires_class='Chainsaw', affected=[('1.0', None)], fixed='none (end of life)',
         summary='Chainsaw deserializes untrusted log events'),
    dict(id='CVE-2023-26464', product='log4j', cvss=7.5, cvss_source='NVD',
         requires_class=['SocketServer', 'Chainsaw'], affected=[('1.0', None)],
         fixed='none (end of life; log4j 2.x)',
         summary='SocketServer/Chainsaw: a crafted serialized hashmap exhausts memory (DoS)'),
    dict(id='CVE-2022-42889', product='commons-text', cvss=9.8, cvss_source='advisory',
         affected=[('1.5', '1.10.0')], fixed='1.10.0',
         summary='Text4Shell: StringSubstitutor script/dns/url lookups by default'),
]

LATER = R(CORE, '2.17.1')  # releases assumed to carry 2.17.1's markers
MARKERS = [
    # JndiManager (exists since 2.1)
    dict(product=CORE, **{'class': 'JndiManager'}, string='Invalid JNDI URI - {}',
         present_in=['2.3.2', '2.12.4', '2.15.0', '2.16.0'] + LATER),
    dict(product=CORE, **{'class': 'JndiManager'}, string='log4j2.enableJndi',
         present_in=['2.3.1', '2.3.2', '2.12.2', '2.12.3', '2.12.4', '2.16.0', '2.17.0'] + LATER),
    dict(product=CORE, **{'class': 'JndiManager'}, string='Unsupported JNDI URI - {}',
         present_in=['2.3.1', '2.3.2', '2.12.2', '2.12.3', '2.12.4', '2.17.0'] + LATER),
    dict(product=CORE, **{'class': 'JndiManager'}, string='isJndiLookupEnabled',
         present_in=['2.3.1', '2.3.2', '2.12.3', '2.12.4', '2.17.0'] + LATER),
    dict(product=CORE, **{'class': 'JndiManager'}, string=None, present_in=R(CORE, '2.1')),
    # JndiLookup (exists since 2.0-beta9)
    dict(product=CORE, **{'class': 'JndiLookup'}, string='javax/naming/InitialContext',
         present_in=R(CORE, '2.0-beta9', '2.0.2')),
    dict(product=CORE, **{'class': 'JndiLookup'}, string='JNDI is not supported',
         present_in=['2.12.2']),
    dict(product=CORE, **{'class': 'JndiLookup'}, string='log4j2.enableJndiLookup',
         present_in=['2.3.1', '2.3.2', '2.12.3', '2.12.4', '2.17.0'] + LATER),
    dict(product=CORE, **{'class': 'JndiLookup'}, string=None, present_in=R(CORE, '2.0-beta9')),
    # DataSourceConnectionSource: the CVE-2021-44832 fix
    dict(product=CORE, **{'class': 'DataSourceConnectionSource'}, string='log4j2.enableJndiJdbc',
         present_in=['2.3.2', '2.12.4'] + LATER),
    # commons-text: ScriptStringLookup since 1.5; the 1.10.0 fix reads this property
    dict(product='commons-text', **{'class': 'ScriptStringLookup'}, string=None,
         present_in=R('commons-text', '1.5')),
    dict(product='commons-text', **{'class': 'StringLookupFactory'},
         string='org.apache.commons.text.lookup.StringLookupFactory.defaultStringLookups',
         present_in=R('commons-text', '1.10.0')),
]

CLASSES = {'JndiLookup.class': 'JndiLookup', 'JndiManager.class': 'JndiManager',
           'DataSourceConnectionSource.class': 'DataSourceConnectionSource',
           'SocketNode.class': 'SocketNode'}

def parse_label(label, product):
    """'log4j 2.9.0-2.11.2', '2.13.3 (debian)', 'log4j 1.2.15.v2010...' -> list of releases."""
    s = label.replace('log4j ', '').replace('(debian)', '').strip()
    rel = RELEASES[product]
    if s in rel:
        return [s]
    for i, ch in enumerate(s):
        if ch == '-' and s[:i] in rel and s[i + 1:] in rel:
            return R(product, s[:i], s[i + 1:])
    base = s.split('.v')[0]
    if base in rel:
        return [base]
    raise SystemExit('unparsed version label: %r' % label)

# SHA-256 of the classes of Debian's liblog4j1.2-java 1.2.17-11 (jar sha256 abed522a760d...,
# /usr/share/java/log4j-1.2-1.2.17.jar), computed with
#   unzip -q /usr/share/java/log4j-1.2-1.2.17.jar && sha256sum org/apache/log4j/...
DEBIAN_JAR = '/usr/share/java/log4j-1.2-1.2.17.jar'
DEBIAN_JAR_SHA256 = 'abed522a760d2f889e987fa1aa52a95f5fb923f7bbd46414e6324262f9a58d38'
DEBIAN_PATCH = {
    'SocketNode': ('org/apache/log4j/net/SocketNode.class',
                   'b091b34b8afd1d7d22fed27e1ec6b94566f209881d01042b51ecb9cbd2dd5150'),
    'FilteredObjectInputStream': ('org/apache/log4j/FilteredObjectInputStream.class',
                                  '7db2b0f3e4f9d901c0209a79c3287672a903227c4229554e217817f1d8b54948'),
    'JDBCAppender': ('org/apache/log4j/jdbc/JDBCAppender.class',
                     '6ef36e88c5984eeef1a0b9788baa1372c7cbb07d6dd58f07e71dab89d54bda6d'),
    'JdbcPatternParser': ('org/apache/log4j/jdbc/JdbcPatternParser.class',
                          'c2eaea32c29ac06595d737fdbaebe2c4215a501ea7ebb5e703716bd2d4e9cea0'),
    'LoggingReceiver$Slurper': ('org/apache/log4j/chainsaw/LoggingReceiver$Slurper.class',
                                'e2af346ffa6a12312ee96fd302c8280c1069a1b3ab62406f8aa9765b7c35e544'),
    'HardenedLoggingEventInputStream': (
        'org/apache/log4j/net/HardenedLoggingEventInputStream.class',
        '2c8af33421f5a5f53c44355a8a12202217f8dc3235de8a698574e011ed35a7b6'),
    'HardenedObjectInputStream': ('org/apache/log4j/net/HardenedObjectInputStream.class',
                                  'dfcebaa6bc16b01c337ac8a8d90b4f1c3bbaa97e8ab4d4eb62ed59d86765c629'),
}

def check_debian_jar():
    """The hashes above against the installed jar (when it is the same build)."""
    import hashlib, zipfile
    if not os.path.exists(DEBIAN_JAR):
        return
    if hashlib.sha256(open(DEBIAN_JAR, 'rb').read()).hexdigest() != DEBIAN_JAR_SHA256:
        sys.stderr.write('note: %s is another build; class hashes not re-checked\n' % DEBIAN_JAR)
        return
    with zipfile.ZipFile(DEBIAN_JAR) as z:
        for cls, (path, sha) in DEBIAN_PATCH.items():
            if hashlib.sha256(z.read(path)).hexdigest() != sha:
                raise SystemExit('%s: %s does not match DEBIAN_PATCH' % (DEBIAN_JAR, path))

def main():
    check_debian_jar()
    hashes = {}  # sha256 -> dict
    sources = ['shared/docs/LOG4J.md (CVE table, markers)']
    def add(sha, cls, versions, product, src):
        h = hashes.setdefault(sha, dict(sha256=sha, product=product, **{'class': cls},
                                        versions=[], source=[]))
        if h['class'] != cls or h['product'] != product:
            raise SystemExit('hash %s listed for two classes' % sha)
        for v in versions:
            if v not in h['versions']:
                h['versions'].append(v)
        if src not in h['source']:
            h['source'].append(src)
    pub = os.path.join(CORPUS, 'published_class_hashes.csv')
    with open(pub) as f:
        for row in csv.DictReader(f):
            # DataSourceConnectionSource is listed only as "2.17.0" although the same bytes
            # ship in every release before the 44832 fix: a marker covers it instead.
            if row['algo'] != 'sha256' or row['class'] not in CLASSES or \
                    row['class'] == 'DataSourceConnectionSource.class':
                continue
            cls = CLASSES[row['class']]
            product = 'log4j' if cls == 'SocketNode' else CORE
            add(row['hash'].lower(), cls, parse_label(row['version_label'], product), product,
                row['source'])
    sources.append('corpus/jars/published_class_hashes.csv (sha256 rows)')
    comp = os.path.join(CORPUS, 'class_hashes_computed.csv')
    with open(comp) as f:
        for row in csv.DictReader(f):
            if not row['sha256'] or row['class'] not in CLASSES:
                continue
            add(row['sha256'].lower(), CLASSES[row['class']], [row['pom_version']], CORE,
                'corpus/jars/class_hashes_computed.csv:' + row['sample_path'])
    sources.append('corpus/jars/class_hashes_computed.csv')
    out = []
    for h in sorted(hashes.values(), key=lambda h: h['sha256']):
        order = RELEASES[h['product']]
        h['versions'].sort(key=order.index)
        h['source'] = '; '.join(h['source'])
        out.append(h)
    vulns = []
    for v in VULNS:
        v = dict(v)
        v['affected'] = [dict(({'introduced': a} if a else {}), **({'fixed': b} if b else {}))
                         for a, b in v['affected']]
        if 'fixed_by' in v:
            v['fixed_by'] = [{'name': name, 'classes': {c: DEBIAN_PATCH[c][1] for c in classes}}
                             for name, classes in v['fixed_by']]
        vulns.append(v)
    doc = {
        'format': 'defuse-vulndb/1',
        'generated_by': 'data/gen_vulndb.py',
        'sources': sources,
        'products': {p: {'releases': r} for p, r in RELEASES.items()},
        'vulnerabilities': vulns,
        'hashes': out,
        'markers': MARKERS,
    }
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write('\n')

def embed(path):
    data = open(path, 'rb').read()
    out = ['/*',
           ' * vulndb_builtin.c -- GENERATED by data/gen_vulndb.py --embed data/vulndb.json;',
           ' * do not edit.  The vulnerability data compiled in, used by',
           ' * defuse_vulndb_builtin() when no data file is installed.',
           ' */',
           '#include "inventory.h"',
           '',
           'const unsigned char defuse__vulndb_builtin[] = {']
    for i in range(0, len(data), 16):
        out.append('    ' + ', '.join('%d' % b for b in data[i:i + 16]) + ',')
    out.append('};')
    out.append('const size_t defuse__vulndb_builtin_len = %d;' % len(data))
    sys.stdout.write('\n'.join(out) + '\n')

if len(sys.argv) > 2 and sys.argv[1] == '--embed':
    embed(sys.argv[2])
else:
    main()
