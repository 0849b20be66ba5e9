# man.cmake -- the man pages, generated into BUILD/man by scripts/gen-man.py
# from the programs' --help texts and the reference sections of docs/*.md
# (so a new option or key reaches its page without a second edit; the test
# tests/e2e/man_pages.sh checks that every option of every --help is there).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(DEFUSE_MAN_DIR ${PROJECT_BINARY_DIR}/man)
set(_gen ${PROJECT_SOURCE_DIR}/scripts/gen-man.py)
set(DEFUSE_MANPAGES)
# defuse_man_help(<page> <section> <summary> <command...>)
function(defuse_man_help page sec summary)
  set(out ${DEFUSE_MAN_DIR}/${page}.${sec})
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${DEFUSE_MAN_DIR}
    COMMAND ${CMAKE_COMMAND} -E env DEFUSE_VERSION=${PROJECT_VERSION}
            sh -c "\"$@\" --help | ${Python3_EXECUTABLE} ${_gen} help ${page} ${sec} '${summary}' ${out}"
            sh ${ARGN}
    DEPENDS ${_gen} ${ARGN}
    COMMENT "man page ${page}(${sec})" VERBATIM)
  set(DEFUSE_MANPAGES ${DEFUSE_MANPAGES} ${out} PARENT_SCOPE)
endfunction()
# defuse_man_md(<page> <section> <summary> <doc.md> <heading...>)
function(defuse_man_md page sec summary doc)
  set(out ${DEFUSE_MAN_DIR}/${page}.${sec})
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${DEFUSE_MAN_DIR}
    COMMAND ${CMAKE_COMMAND} -E env DEFUSE_VERSION=${PROJECT_VERSION}
            ${Python3_EXECUTABLE} ${_gen} md ${page} ${sec} ${summary} ${out} ${doc} ${ARGN}
    DEPENDS ${_gen} ${doc}
    COMMENT "man page ${page}(${sec})" VERBATIM)
  set(DEFUSE_MANPAGES ${DEFUSE_MANPAGES} ${out} PARENT_SCOPE)
endfunction()

defuse_man_help(defuse 1 "active defense against Log4Shell-class injections" $<TARGET_FILE:defuse_cli>)
# defuse_man_sub(<subcommand> <summary>): `defuse SUB --help`
function(defuse_man_sub sub summary)
  set(out ${DEFUSE_MAN_DIR}/defuse-${sub}.1)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${DEFUSE_MAN_DIR}
    COMMAND ${CMAKE_COMMAND} -E env DEFUSE_VERSION=${PROJECT_VERSION}
            sh -c "\"$0\" ${sub} --help | ${Python3_EXECUTABLE} ${_gen} help defuse-${sub} 1 \"$1\" ${out}"
            $<TARGET_FILE:defuse_cli> ${summary}
    DEPENDS ${_gen} defuse_cli
    COMMENT "man page defuse-${sub}(1)" VERBATIM)
  set(DEFUSE_MANPAGES ${DEFUSE_MANPAGES} ${out} PARENT_SCOPE)
endfunction()
defuse_man_sub(logs "find Log4Shell-class attempts in logs, live or archived")
defuse_man_sub(explain "deobfuscate one Log4Shell-class payload step by step")
defuse_man_help(defuse-scan 1 "inventory log4j and commons-text, their CVEs and a safe mitigation"
                $<TARGET_FILE:defuse_scan_bin>)
if(TARGET defuse_probe_bin)
  defuse_man_help(defuse-probe 1 "prove which of your services are exploitable, with its own callback listener"
                  $<TARGET_FILE:defuse_probe_bin>)
endif()
if(TARGET defuse_register_bin)
  defuse_man_help(defuse-register 1 "the exposure register: assets, exposures, SLA clocks, verdicts"
                  $<TARGET_FILE:defuse_register_bin>)
endif()
if(TARGET defuse_report_bin)
  defuse_man_help(defuse-report 1 "one self-contained HTML page about a Log4Shell incident"
                  $<TARGET_FILE:defuse_report_bin>)
endif()
if(TARGET defuse_honeypot_bin)
  defuse_man_help(defuse-honeypot 1 "Log4Shell tripwire capturing HTTP, LDAP, RMI and DNS callbacks"
                  $<TARGET_FILE:defuse_honeypot_bin>)
  defuse_man_md(defuse-honeypot.conf 5 "configuration file of defuse honeypot"
                ${PROJECT_SOURCE_DIR}/docs/honeypot.md Configuration Events)
endif()
defuse_man_md(ngx_http_defuse_module 8 "nginx module blocking Log4Shell-class requests"
              ${PROJECT_SOURCE_DIR}/docs/nginx.md Directives "What is inspected" Verdicts
              "defuse_log format" Limits)
add_custom_target(man ALL DEPENDS ${DEFUSE_MANPAGES})
