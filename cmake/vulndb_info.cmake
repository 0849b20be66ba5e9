# vulndb_info.cmake -- the identity of data/vulndb.json for `--version`
# (cli/version.c): its format, the first 12 hex digits of its sha256, the
# number of vulnerabilities and its date (the last commit that changed it,
# else SOURCE_DATE_EPOCH as dpkg-buildpackage sets it, else the file's mtime).
set(_vdb ${PROJECT_SOURCE_DIR}/data/vulndb.json)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_vdb})
file(READ ${_vdb} _vdb_json)
file(SHA256 ${_vdb} _vdb_sha)
string(SUBSTRING "${_vdb_sha}" 0 12 _vdb_sha)
string(JSON _vdb_format ERROR_VARIABLE _e GET "${_vdb_json}" format)
string(JSON _vdb_cves ERROR_VARIABLE _e LENGTH "${_vdb_json}" vulnerabilities)
set(_vdb_date "")
find_program(GIT_EXECUTABLE git)
if(GIT_EXECUTABLE AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%cs -- data/vulndb.json
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  OUTPUT_VARIABLE _vdb_date OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
endif()
if(NOT _vdb_date AND DEFINED ENV{SOURCE_DATE_EPOCH})
  string(TIMESTAMP _vdb_date "%Y-%m-%d" UTC)  # honours SOURCE_DATE_EPOCH
endif()
if(NOT _vdb_date)
  file(TIMESTAMP ${_vdb} _vdb_date "%Y-%m-%d" UTC)
endif()
set_source_files_properties(${PROJECT_SOURCE_DIR}/cli/version.c PROPERTIES COMPILE_DEFINITIONS
  "DEFUSE_VULNDB_FORMAT=\"${_vdb_format}\";DEFUSE_VULNDB_SHA256=\"${_vdb_sha}\";DEFUSE_VULNDB_DATE=\"${_vdb_date}\";DEFUSE_VULNDB_CVES=\"${_vdb_cves}\"")
