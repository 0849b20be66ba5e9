/*
 * vex.h -- VEX documents from the register (register/vex.c).
 */
#ifndef DEFUSE_REGISTER_VEX_H
#define DEFUSE_REGISTER_VEX_H

#include "reg.h"

#include <jansson.h>

enum { REG_VEX_CYCLONEDX = 0, REG_VEX_OPENVEX = 1 };

/* Every exposure (fixed ones included) of asset/env (NULL: all) as a
 * CycloneDX 1.5 VEX or an OpenVEX 0.2.0 document.  Returns a new
 * reference (json_decref()), or NULL with r->err set. */
json_t *reg_vex_export(reg *r, int format, const char *asset, const char *env);

/* Records the verdicts of a CycloneDX VEX or OpenVEX document (path) on
 * the exposures it names -- by the component's purl, or by the asset the
 * register's own export names -- as reg_record_control() does (one
 * transaction each; the whole document is read and checked first, so a
 * malformed one writes nothing): not_affected / false_positive ->
 * "false-positive", CycloneDX exploitable with will_not_fix/can_not_fix ->
 * "accepted"; every other state records nothing (docs/register.md, VEX).
 * OUT: *recorded verdicts written, *skipped statements that matched no
 * exposure or changed nothing.  Returns 0, or -1 with r->err
 * ("FILE:LINE:COL: ..." or "FILE: vulnerabilities[i]...: ..."). */
int reg_vex_import(reg *r, const char *path, size_t *recorded, size_t *skipped);

#endif
