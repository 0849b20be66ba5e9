#!/usr/bin/env python3
"""scan_adversarial.py -- builds the adversarial inputs of scan_hide.sh from a
real jar (read at test time, never stored in the project).

  comment SRC OUT     SRC's entries plus one with a non-ASCII name; the zip
                      comment holds a fake central directory and a fake end
                      of central directory record that list one harmless
                      entry (what libarchive/unzip then believe)
  badcrc SRC OUT      SRC with the stored CRC-32 of every JndiLookup.class
                      wrong (central and local headers)
  renamed SRC OUT     a jar holding SRC's JndiLookup.class as "x/X.classrenamed",
                      and OUT-nested.jar holding SRC as "lib/library.class"
  zerotar JAR SIZE    writes to stdout a tar of SIZE bytes of zeros ("zeros")
                      followed by JAR ("app/log4j-core.jar")
  synth OUT           a small stand-in for log4j-core 2.14.1 when the corpus is
                      absent: its pom.properties and minimal class files named
                      JndiLookup and LoggerContext (no JVM runs it)
"""
import io
import struct
import sys
import tarfile
import zipfile
import zlib


def comment(src, out):
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        zo.writestr(zipfile.ZipInfo("hello.txt"), b"")  # at offset 0: the fake directory's entry
        for info in zi.infolist():
            zo.writestr(info, zi.read(info.filename))
        zo.writestr("META-INF/r\u00e9sum\u00e9-\u65e5\u672c.txt", "non-ASCII entry name\n")
        # a fake directory naming the entry at offset 0, then a fake EOCD whose
        # directory offset is 1 (the JVM looks for a local header at
        # directory start - offset and finds none) and whose comment length
        # does not reach the end of the file (trailing bytes follow it)
        name = b"hello.txt"
        cen = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0,
                          zlib.crc32(b""), 0, 0, len(name), 0, 0, 0, 0, 0, 0) + name
        eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(cen), 1, 0)
        zo.comment = cen + eocd + b"\0\0\0\0"


def rewrite_crc(data, pred):
    """Flips the CRC of every entry whose name matches pred, in the local and
    central headers (the data itself is unchanged)."""
    data = bytearray(data)
    eocd = data.rfind(b"PK\x05\x06")
    n, cdsize, cdoff = struct.unpack_from("<HII", data, eocd + 10)
    o = cdoff
    hit = 0
    for _ in range(n):
        assert data[o:o + 4] == b"PK\x01\x02"
        nl, xl, cl = struct.unpack_from("<HHH", data, o + 28)
        name = bytes(data[o + 46:o + 46 + nl]).decode("utf-8", "replace")
        lho, = struct.unpack_from("<I", data, o + 42)
        if pred(name):
            crc, = struct.unpack_from("<I", data, o + 16)
            bad = crc ^ 0x5A5A5A5A
            struct.pack_into("<I", data, o + 16, bad)
            struct.pack_into("<I", data, lho + 14, bad)
            hit += 1
        o += 46 + nl + xl + cl
    assert hit, "no entry matched"
    return bytes(data)


def badcrc(src, out):
    with open(src, "rb") as f:
        d = f.read()
    with open(out, "wb") as f:
        f.write(rewrite_crc(d, lambda n: n.endswith("JndiLookup.class")))


def renamed(src, out):
    with zipfile.ZipFile(src) as zi:
        jl = [n for n in zi.namelist() if n.endswith("lookup/JndiLookup.class")][0]
        cls = zi.read(jl)
    with open(src, "rb") as f:
        whole = f.read()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        zo.writestr("x/X.classrenamed", cls)
    with zipfile.ZipFile(out.replace(".jar", "-nested.jar"), "w", zipfile.ZIP_STORED) as zo:
        zo.writestr("lib/library.class", whole)


class Zeros(io.RawIOBase):
    def readinto(self, b):
        b[:] = bytes(len(b))
        return len(b)

    def readable(self):
        return True


def zerotar(jar, size):
    size = int(size)
    with tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.GNU_FORMAT) as t:
        info = tarfile.TarInfo("zeros")
        info.size = size
        t.addfile(info, io.BufferedReader(Zeros(), 1 << 20))
        t.add(jar, "app/log4j-core.jar")


def minimal_class(name):
    """A valid class file declaring class `name` (extends Object, no members)."""
    def utf8(s):
        b = s.encode()
        return b"\x01" + struct.pack(">H", len(b)) + b
    cp = utf8(name) + b"\x07\x00\x01" + utf8("java/lang/Object") + b"\x07\x00\x03"
    return (b"\xca\xfe\xba\xbe" + struct.pack(">HHH", 0, 52, 5) + cp +
            struct.pack(">HHHHHHH", 0x21, 2, 4, 0, 0, 0, 0))


def synth(out):
    base = "org/apache/logging/log4j/core/"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        zo.writestr("META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
                    "groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n")
        zo.writestr(base + "LoggerContext.class", minimal_class(base + "LoggerContext"))
        zo.writestr(base + "lookup/JndiLookup.class", minimal_class(base + "lookup/JndiLookup"))


if __name__ == "__main__":
    cmd = sys.argv[1]
    {"comment": comment, "badcrc": badcrc, "renamed": renamed, "zerotar": zerotar,
     "synth": synth}[cmd](*sys.argv[2:])
