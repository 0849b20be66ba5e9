# module.cmake -- builds ngx_http_defuse_module.so (included by the top-level
# CMakeLists.txt when DEFUSE_NGINX=ON).
#
# nginx modules must be compiled by nginx's own build system against the
# exact configure flags of the nginx binary (Debian: nginx-dev's conf_flags,
# --with-compat), so this is a custom command running nginx/build.sh.  The
# result is ${PROJECT_BINARY_DIR}/ngx_http_defuse_module.so, part of ALL, so
# `ninja` builds it and tests/e2e/nginx_*.sh find it through DEFUSE_BUILD.
# libdefuse's link dependencies come from the same pkg-config modules the
# library target uses and are handed to the module's ngx_module_libs.

if(NOT EXISTS /usr/share/nginx/src/conf_flags)
  message(WARNING "nginx-dev not installed: the nginx module is not built "
                  "(install it with scripts/deps.sh, or pass -DDEFUSE_NGINX=OFF)")
  return()
endif()

set(DEFUSE_NGX_LIBS)
# (Hyperscan is only libdefuse's tests'.)
foreach(dep ARCHIVE JANSSON ZLIB CRYPTO)
  list(APPEND DEFUSE_NGX_LIBS ${${dep}_LDFLAGS})
endforeach()
list(APPEND DEFUSE_NGX_LIBS -ldl -lpthread -lm)
list(REMOVE_DUPLICATES DEFUSE_NGX_LIBS)
string(REPLACE ";" " " DEFUSE_NGX_LIBS "${DEFUSE_NGX_LIBS}")

if(DEFUSE_SANITIZE)
  set(DEFUSE_NGX_SANITIZE 1)
else()
  set(DEFUSE_NGX_SANITIZE 0)
endif()

set(DEFUSE_NGX_SO ${PROJECT_BINARY_DIR}/ngx_http_defuse_module.so)
add_custom_command(
  OUTPUT ${DEFUSE_NGX_SO}
  COMMAND bash ${PROJECT_SOURCE_DIR}/nginx/build.sh ${PROJECT_BINARY_DIR}
          $<TARGET_FILE:defuse> ${PROJECT_SOURCE_DIR}/include
          ${DEFUSE_NGX_SANITIZE} "${DEFUSE_NGX_LIBS}"
  DEPENDS defuse
          ${PROJECT_SOURCE_DIR}/nginx/ngx_http_defuse_module.c
          ${PROJECT_SOURCE_DIR}/nginx/config
          ${PROJECT_SOURCE_DIR}/nginx/build.sh
          ${PROJECT_SOURCE_DIR}/include/defuse.h
          $<TARGET_FILE:defuse>
  COMMENT "Building nginx module ngx_http_defuse_module.so"
  VERBATIM)
add_custom_target(nginx_module ALL DEPENDS ${DEFUSE_NGX_SO})
