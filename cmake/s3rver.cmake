# s3rver (npm), the S3-compatible server the S3 tests start on loopback (tests/e2e/s3_server.hpp). Chosen
# because it is a small, faithful S3 (path-style requests, signatures, ListObjectsV2, multipart uploads),
# runs on Debian's Node.js, stores objects as plain files the tests can read back independently, and
# npm is already needed for Leaflet. Installed at configure time into its own prefix (an `npm install`
# into Leaflet's prefix would prune Leaflet).
#
# Output: TRELLIS_S3RVER_JS, the path of s3rver's command-line script, or "" when it could not be
# installed (the S3 tests then skip, saying why).

include_guard(GLOBAL)

set(TRELLIS_S3RVER_VERSION "3.7.1" CACHE STRING "s3rver version that npm installs for the S3 tests")

set(_prefix "${CMAKE_BINARY_DIR}/npm-s3rver")
set(_script "${_prefix}/node_modules/s3rver/bin/s3rver.js")
set(_installed "")
if(EXISTS "${_prefix}/node_modules/s3rver/package.json")
  file(READ "${_prefix}/node_modules/s3rver/package.json" _package)
  string(JSON _installed ERROR_VARIABLE _error GET "${_package}" version)
endif()
set(TRELLIS_S3RVER_JS "")
if(EXISTS "${_script}" AND _installed STREQUAL TRELLIS_S3RVER_VERSION)
  set(TRELLIS_S3RVER_JS "${_script}")
else()
  find_program(TRELLIS_NPM_EXECUTABLE npm)
  find_program(TRELLIS_NODE_EXECUTABLE node)
  if(TRELLIS_NPM_EXECUTABLE AND TRELLIS_NODE_EXECUTABLE)
    message(STATUS "Installing s3rver ${TRELLIS_S3RVER_VERSION} with npm into ${_prefix} (S3 tests)")
    file(MAKE_DIRECTORY "${_prefix}")
    execute_process(
      COMMAND "${TRELLIS_NPM_EXECUTABLE}" install --prefix "${_prefix}" --no-audit --no-fund --no-save
              "s3rver@${TRELLIS_S3RVER_VERSION}"
      WORKING_DIRECTORY "${_prefix}"
      RESULT_VARIABLE _rc
      OUTPUT_VARIABLE _out
      ERROR_VARIABLE _out)
    if(_rc EQUAL 0 AND EXISTS "${_script}")
      set(TRELLIS_S3RVER_JS "${_script}")
    else()
      message(WARNING "`npm install s3rver@${TRELLIS_S3RVER_VERSION}` failed (exit ${_rc}): the S3 tests "
                      "will skip. npm said:\n${_out}")
    endif()
  else()
    message(WARNING "node and npm not found: the S3 tests will skip (Debian: apt-get install npm)")
  endif()
endif()
