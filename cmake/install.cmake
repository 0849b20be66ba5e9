# install.cmake -- what `cmake --install` puts where (GNUInstallDirs).
# Included last by CMakeLists.txt.  debian/rules installs with this too, so
# the packages and a source install have the same layout:
#   BINDIR           defuse, defuse-scan, defuse-honeypot (side by side)
#   DATADIR/defuse   vulndb.json
#   MANDIR           the generated man pages (cmake/man.cmake)
#   DOCDIR           README.md, docs/*.md
#   DOCDIR/examples  rsyslog-defuse.conf (the live pipeline; an example, not
#                    enabled: copied to /etc/rsyslog.d/ by the administrator)
#   SYSCONFDIR/defuse  honeypot.conf (the example; never overwritten by
#                    a package upgrade: it is a conffile there)
#   systemd unit     DEFUSE_SYSTEMD_UNITDIR (default lib/systemd/system,
#                    under the prefix), ExecStart rewritten to BINDIR
#   completions      DATADIR/bash-completion/completions/defuse,
#                    DATADIR/zsh/vendor-completions/_defuse,
#                    DATADIR/fish/vendor_completions.d/defuse.fish
#   nginx            DEFUSE_NGINX_MODULES_DIR/ngx_http_defuse_module.so and
#                    DATADIR/nginx/modules-available/mod-http-defuse.conf
#                    (the Debian layout; see docs/nginx.md)
set(DEFUSE_HONEYPOT_USER "nobody" CACHE STRING
    "the `user` of the installed honeypot.conf (the Debian package: defuse)")
set(DEFUSE_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "where `cmake --install` puts defuse-honeypot.service (relative: under the prefix)")

install(TARGETS defuse_cli defuse_scan_bin RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET defuse_honeypot_bin)
  install(TARGETS defuse_honeypot_bin RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
if(TARGET defuse_probe_bin)
  install(TARGETS defuse_probe_bin RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
if(TARGET defuse_register_bin)
  install(TARGETS defuse_register_bin RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
if(TARGET defuse_report_bin)
  install(TARGETS defuse_report_bin RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(FILES ${PROJECT_SOURCE_DIR}/data/vulndb.json DESTINATION ${CMAKE_INSTALL_DATADIR}/defuse)

# man pages (cmake/man.cmake)
include(${PROJECT_SOURCE_DIR}/cmake/man.cmake)
foreach(page ${DEFUSE_MANPAGES})
  string(REGEX REPLACE "^.*\\.([1-8])$" "\\1" sec ${page})
  install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${sec})
endforeach()

# docs
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB DEFUSE_DOCS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${DEFUSE_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The rsyslog example (etc/rsyslog-defuse.conf.example), naming this
# prefix's defuse; under the docs, since a file in /etc/rsyslog.d/ would
# route every message of the system's rsyslog through defuse at once.
file(READ ${PROJECT_SOURCE_DIR}/etc/rsyslog-defuse.conf.example _rsys)
string(REPLACE "/usr/bin/defuse " "${CMAKE_INSTALL_FULL_BINDIR}/defuse " _rsys "${_rsys}")
file(WRITE ${PROJECT_BINARY_DIR}/rsyslog-defuse.conf "${_rsys}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/etc/rsyslog-defuse.conf.example)
install(FILES ${PROJECT_BINARY_DIR}/rsyslog-defuse.conf DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# completions
install(FILES ${PROJECT_SOURCE_DIR}/completions/defuse.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME defuse)
install(FILES ${PROJECT_SOURCE_DIR}/completions/_defuse
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${PROJECT_SOURCE_DIR}/completions/defuse.fish
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)

# The example honeypot config and its unit, with the paths of this prefix
# (the sources name /usr/local/bin and /etc/defuse, as docs/honeypot.md).
file(READ ${PROJECT_SOURCE_DIR}/etc/defuse-honeypot.service _unit)
string(REPLACE "/usr/local/bin/" "${CMAKE_INSTALL_FULL_BINDIR}/" _unit "${_unit}")
string(REPLACE "/etc/defuse/" "${CMAKE_INSTALL_FULL_SYSCONFDIR}/defuse/" _unit "${_unit}")
string(REPLACE "file:///usr/share/doc/defuse/" "file://${CMAKE_INSTALL_FULL_DOCDIR}/" _unit "${_unit}")
file(WRITE ${PROJECT_BINARY_DIR}/defuse-honeypot.service "${_unit}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/etc/defuse-honeypot.service
             ${PROJECT_SOURCE_DIR}/etc/honeypot.conf.example)
install(FILES ${PROJECT_BINARY_DIR}/defuse-honeypot.service DESTINATION ${DEFUSE_SYSTEMD_UNITDIR})
file(READ ${PROJECT_SOURCE_DIR}/etc/honeypot.conf.example _conf)
string(REGEX REPLACE "\nuser +nobody\n" "\nuser            ${DEFUSE_HONEYPOT_USER}\n" _conf "${_conf}")
file(WRITE ${PROJECT_BINARY_DIR}/honeypot.conf "${_conf}")
# (FULL: GNUInstallDirs maps the sysconfdir of /usr to /etc; the relative
# form would land in /usr/etc.)
install(FILES ${PROJECT_BINARY_DIR}/honeypot.conf DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/defuse
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
# The log directory is /var/log/defuse whatever the prefix: the unit's
# LogsDirectory= and the example's log_file name it.
install(DIRECTORY DESTINATION /var/log/defuse
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE)

# nginx module (built by nginx/module.cmake when nginx-dev is installed)
if(TARGET nginx_module)
  install(FILES ${PROJECT_BINARY_DIR}/ngx_http_defuse_module.so
          DESTINATION ${DEFUSE_NGINX_MODULES_DIR}
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  install(FILES ${PROJECT_SOURCE_DIR}/nginx/mod-http-defuse.conf
          DESTINATION ${CMAKE_INSTALL_DATADIR}/nginx/modules-available)
endif()
