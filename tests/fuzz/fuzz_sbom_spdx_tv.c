/*
 * fuzz_sbom_spdx_tv.c -- libFuzzer target for sbom_parse() on SPDX tag-value input,
 * seeded from tests/fuzz/corpus/sbom_spdx_tv/ (contract: fuzz_sbom.h).
 */
#include "fuzz_sbom.h"
