#!/usr/bin/env python3
"""make_tree.py -- a synthetic host tree for the scan benchmark: 200,000 ordinary
files (10-2000 bytes) in 2,000 directories and 200 archives copied from the jar
corpus (log4j-core 2.14.1, log4j-api 2.14.1, log4j-core 2.17.1, a war nesting six
log4j-core jars) scattered among them.  Usage: make_tree.py CORPUS_JARS OUTDIR"""
import os, random, shutil, sys
corpus, base = sys.argv[1], sys.argv[2]
random.seed(1)
jars = ['mergebase-log4j-samples/true-hits/log4j-core-2.14.1.jar',
        'mergebase-log4j-samples/false-hits/log4j-api-2.14.1.jar',
        'mergebase-log4j-samples/false-hits/log4j-core-2.17.1.jar',
        'logpresso/src/test/resources/log4j2/loggingBuddies.war']
if os.path.exists(base):
    shutil.rmtree(base)
for d1 in range(100):
    for d2 in range(20):
        d = '%s/d%d/s%d' % (base, d1, d2)
        os.makedirs(d)
        for f in range(100):
            with open('%s/f%d.txt' % (d, f), 'w') as fh:
                fh.write('x' * random.randint(10, 2000))
for i in range(200):
    d = '%s/d%d/s%d' % (base, random.randrange(100), random.randrange(20))
    shutil.copy(os.path.join(corpus, jars[i % len(jars)]), '%s/lib%d.jar' % (d, i))
