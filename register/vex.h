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

#endif
