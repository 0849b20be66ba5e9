/*
 * fuzz_sbom_json.c -- libFuzzer target for sbom_parse() on JSON (CycloneDX and SPDX) input,
 * seeded from tests/fuzz/corpus/sbom_json/ (contract: fuzz_sbom.h).
 */
#include "fuzz_sbom.h"
