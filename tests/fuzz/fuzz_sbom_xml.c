/*
 * fuzz_sbom_xml.c -- libFuzzer target for sbom_parse() on CycloneDX XML input,
 * seeded from tests/fuzz/corpus/sbom_xml/ (contract: fuzz_sbom.h).
 */
#include "fuzz_sbom.h"
