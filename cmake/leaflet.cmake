# Leaflet for the tile server's viewer page (src/serve/viewer.*), embedded in the program so that
# `trellis serve` needs no network and no files at run time.
#
# Usage, from the top CMakeLists.txt, before the serve library is defined:
#   include(cmake/leaflet.cmake)
#   ... add ${TRELLIS_LEAFLET_SOURCES} to the serve library's sources (it includes "serve/viewer.hpp",
#   so the library needs src/ on its include path, as every trellis module has).
#
# Where Leaflet comes from:
#   TRELLIS_LEAFLET_DIR  (cache variable) Leaflet's dist/ folder (the one holding leaflet.js, leaflet.css
#                        and images/), or the package folder above it. For offline builds.
#   otherwise            ${CMAKE_BINARY_DIR}/npm/node_modules/leaflet/dist, installed there at configure
#                        time by `npm install leaflet@${TRELLIS_LEAFLET_VERSION}` when it is missing.
#
# Output:
#   ${CMAKE_BINARY_DIR}/generated/trellis/leaflet_assets.cpp  defines trellis::serve::kLeafletAssets and
#                        kLeafletVersion (see serve/viewer.hpp): leaflet.js as a raw string literal,
#                        leaflet.css (CR LF line ends), the PNGs of images/ and Leaflet's LICENSE as byte
#                        arrays, exact to the byte; Leaflet's version and licence notice (BSD-2-Clause) are
#                        in its opening comment.
#   TRELLIS_LEAFLET_SOURCES  the generated file(s), to add to the serve library.
#   TRELLIS_LEAFLET_FOUND_VERSION  the version read from leaflet.js' banner.
# The file is rewritten only when its content changes (no rebuild on every configure), and CMake
# re-runs when one of the Leaflet files changes.

include_guard(GLOBAL)

set(TRELLIS_LEAFLET_VERSION "1.9.4" CACHE STRING "Leaflet version that npm installs for the viewer")
set(TRELLIS_LEAFLET_DIR "" CACHE PATH
    "Leaflet's dist/ folder (leaflet.js, leaflet.css, images/); empty: npm installs it in the build tree")

function(_trellis_leaflet_locate out_dist)
  if(TRELLIS_LEAFLET_DIR)
    foreach(_d "${TRELLIS_LEAFLET_DIR}" "${TRELLIS_LEAFLET_DIR}/dist")
      if(EXISTS "${_d}/leaflet.js" AND EXISTS "${_d}/leaflet.css")
        set(${out_dist} "${_d}" PARENT_SCOPE)
        return()
      endif()
    endforeach()
    message(FATAL_ERROR "TRELLIS_LEAFLET_DIR=${TRELLIS_LEAFLET_DIR} holds neither leaflet.js and "
                        "leaflet.css nor dist/leaflet.js and dist/leaflet.css (Leaflet's npm package)")
  endif()

  set(_prefix "${CMAKE_BINARY_DIR}/npm")
  set(_dist "${_prefix}/node_modules/leaflet/dist")
  set(_installed "")
  if(EXISTS "${_prefix}/node_modules/leaflet/package.json")
    file(READ "${_prefix}/node_modules/leaflet/package.json" _package)
    string(JSON _installed ERROR_VARIABLE _error GET "${_package}" version)
  endif()
  if(NOT EXISTS "${_dist}/leaflet.js" OR NOT EXISTS "${_dist}/leaflet.css"
     OR NOT _installed STREQUAL TRELLIS_LEAFLET_VERSION)
    find_program(TRELLIS_NPM_EXECUTABLE npm)
    if(NOT TRELLIS_NPM_EXECUTABLE)
      message(FATAL_ERROR "The tile server's viewer embeds Leaflet ${TRELLIS_LEAFLET_VERSION}, which is "
                          "installed with npm, and npm was not found. Install npm (Debian: apt-get install "
                          "npm), or set TRELLIS_LEAFLET_DIR to a Leaflet dist/ folder.")
    endif()
    message(STATUS "Installing Leaflet ${TRELLIS_LEAFLET_VERSION} with npm into ${_prefix}")
    file(MAKE_DIRECTORY "${_prefix}")
    execute_process(
      COMMAND "${TRELLIS_NPM_EXECUTABLE}" install --prefix "${_prefix}" --no-audit --no-fund --no-save
              "leaflet@${TRELLIS_LEAFLET_VERSION}"
      WORKING_DIRECTORY "${_prefix}"
      RESULT_VARIABLE _rc
      OUTPUT_VARIABLE _out
      ERROR_VARIABLE _out)
    if(NOT _rc EQUAL 0 OR NOT EXISTS "${_dist}/leaflet.js" OR NOT EXISTS "${_dist}/leaflet.css")
      message(FATAL_ERROR "`npm install leaflet@${TRELLIS_LEAFLET_VERSION}` failed (exit ${_rc}); the viewer "
                          "needs it. Check that the npm registry is reachable, or set TRELLIS_LEAFLET_DIR "
                          "to a Leaflet dist/ folder. npm said:\n${_out}")
    endif()
  endif()
  set(${out_dist} "${_dist}" PARENT_SCOPE)
endfunction()

# Appends `file` to the generated source as a byte array named `symbol` (binary files; exact bytes).
function(_trellis_leaflet_bytes out_var file symbol)
  file(READ "${file}" _hex HEX)
  string(LENGTH "${_hex}" _n)
  math(EXPR _n "${_n} / 2")
  # 16 bytes a line (CMake's regular expressions have no {n}).
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," _bytes "${_hex}")
  string(REPEAT "'[^']+'," 16 _line)
  string(REGEX REPLACE "(${_line})" "\\1\n    " _bytes "${_bytes}")
  set(${out_var} "${${out_var}}constexpr char ${symbol}[${_n} + 1] = {\n    ${_bytes}'\\0'};\n"
      PARENT_SCOPE)
endfunction()

# Appends text `file` as a raw string literal named `symbol`, with a delimiter absent from the file; as
# a byte array when CMake cannot read the file's exact bytes as text (file(READ) drops CRs, and a
# compiler would turn CR LF line ends in a raw string into LF anyway).
function(_trellis_leaflet_text out_var file symbol)
  file(SIZE "${file}" _size)
  file(READ "${file}" _text)
  string(LENGTH "${_text}" _length)
  if(NOT _length EQUAL _size)
    _trellis_leaflet_bytes(${out_var} "${file}" ${symbol})
    set(${out_var} "${${out_var}}" PARENT_SCOPE)
    return()
  endif()
  # (foreach restores its loop variable when it ends, so the choice is kept in another one.)
  set(_delim "")
  foreach(_d trellis_asset trellis_asset1 trellis_asset2 trellis_asset3)
    string(FIND "${_text}" ")${_d}\"" _at)
    if(_at EQUAL -1)
      set(_delim "${_d}")
      break()
    endif()
  endforeach()
  if(NOT _delim)
    message(FATAL_ERROR "${file}: no raw string delimiter found that is absent from the file")
  endif()
  set(${out_var} "${${out_var}}constexpr char ${symbol}[] = R\"${_delim}(${_text})${_delim}\";\n"
      PARENT_SCOPE)
endfunction()

# Appends the kAssets entry of `symbol`, served at `url` as `type`.
function(_trellis_leaflet_entry out_var url type symbol)
  set(${out_var} "${${out_var}}    {\"${url}\", \"${type}\", {${symbol}, sizeof(${symbol}) - 1}},\n"
      PARENT_SCOPE)
endfunction()

function(_trellis_leaflet_generate dist out_file)
  set(_js "${dist}/leaflet.js")
  set(_css "${dist}/leaflet.css")
  file(STRINGS "${_js}" _banner LIMIT_COUNT 4 REGEX "Leaflet [0-9]+\\.[0-9]+\\.[0-9]+")
  if(NOT _banner MATCHES "Leaflet ([0-9]+\\.[0-9]+\\.[0-9]+)")
    message(FATAL_ERROR "${_js} does not start with Leaflet's banner (\"Leaflet X.Y.Z, ...\"): not Leaflet?")
  endif()
  set(_version "${CMAKE_MATCH_1}")
  if(NOT _version VERSION_EQUAL TRELLIS_LEAFLET_VERSION)
    message(WARNING "Leaflet ${_version} found in ${dist}; "
                    "the viewer is written for ${TRELLIS_LEAFLET_VERSION}")
  endif()
  set(TRELLIS_LEAFLET_FOUND_VERSION "${_version}" PARENT_SCOPE)

  # Leaflet's licence: the package's LICENSE when there is one; else the notice below, which is Leaflet
  # 1.9.4's LICENSE (BSD-2-Clause). Either way it is embedded, as the licence asks of binaries.
  get_filename_component(_pkg "${dist}" DIRECTORY)
  set(_license_file "")
  foreach(_l "${_pkg}/LICENSE" "${dist}/LICENSE")
    if(EXISTS "${_l}")
      set(_license_file "${_l}")
      break()
    endif()
  endforeach()
  if(_license_file)
    file(READ "${_license_file}" _license)
  else()
    set(_license [=[BSD 2-Clause License

Copyright (c) 2010-2023, Volodymyr Agafonkin
Copyright (c) 2010-2011, CloudMade
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
]=])
  endif()
  string(REPLACE "*/" "* /" _license_comment "${_license}")

  set(_deps "${_js}" "${_css}")
  set(_src "// Generated by cmake/leaflet.cmake from ${dist}: do not edit.\n")
  string(APPEND _src "// Leaflet ${_version} (https://leafletjs.com), embedded for the tile server's "
                     "viewer.\n")
  string(APPEND _src "// Leaflet's licence (BSD-2-Clause):\n/*\n${_license_comment}*/\n")
  string(APPEND _src "#include <cstddef>\n\n#include \"serve/viewer.hpp\"\n\n")
  string(APPEND _src "namespace trellis::serve {\nnamespace {\n\n")
  _trellis_leaflet_text(_src "${_js}" kLeafletJs)
  _trellis_leaflet_text(_src "${_css}" kLeafletCss)
  if(_license_file)
    _trellis_leaflet_bytes(_src "${_license_file}" kLeafletLicense)
  else()
    set(_tmp_license "${CMAKE_BINARY_DIR}/generated/trellis/leaflet_LICENSE.txt")
    file(WRITE "${_tmp_license}" "${_license}")
    _trellis_leaflet_bytes(_src "${_tmp_license}" kLeafletLicense)
  endif()
  # A string, not a list: the entries hold semicolons.
  set(_entries "")
  _trellis_leaflet_entry(_entries /leaflet/leaflet.js "application/javascript; charset=utf-8" kLeafletJs)
  _trellis_leaflet_entry(_entries /leaflet/leaflet.css "text/css; charset=utf-8" kLeafletCss)
  _trellis_leaflet_entry(_entries /leaflet/LICENSE "text/plain; charset=utf-8" kLeafletLicense)
  # The PNGs leaflet.css refers to (url(images/...)): the layer control's icon, the markers.
  file(GLOB _pngs RELATIVE "${dist}/images" "${dist}/images/*.png")
  list(SORT _pngs)
  set(_i 0)
  foreach(_png ${_pngs})
    if(NOT _png MATCHES "^[A-Za-z0-9_.-]+$")
      message(FATAL_ERROR "${dist}/images/${_png}: unexpected file name")
    endif()
    _trellis_leaflet_bytes(_src "${dist}/images/${_png}" kLeafletImage${_i})
    _trellis_leaflet_entry(_entries "/leaflet/images/${_png}" image/png kLeafletImage${_i})
    list(APPEND _deps "${dist}/images/${_png}")
    math(EXPR _i "${_i} + 1")
  endforeach()
  string(APPEND _src "\nconstexpr EmbeddedAsset kAssets[] = {\n${_entries}};\n\n}  // namespace\n\n")
  string(APPEND _src "const char kLeafletVersion[] = \"${_version}\";\n")
  string(APPEND _src "const std::span<const EmbeddedAsset> kLeafletAssets{kAssets};\n\n")
  string(APPEND _src "}  // namespace trellis::serve\n")

  set(_tmp "${out_file}.tmp")
  file(WRITE "${_tmp}" "${_src}")
  file(COPY_FILE "${_tmp}" "${out_file}" ONLY_IF_DIFFERENT)
  file(REMOVE "${_tmp}")
  set_property(DIRECTORY "${CMAKE_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_deps})
  if(_license_file)
    set_property(DIRECTORY "${CMAKE_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_license_file}")
  endif()
endfunction()

_trellis_leaflet_locate(_trellis_leaflet_dist)
set(TRELLIS_LEAFLET_SOURCES "${CMAKE_BINARY_DIR}/generated/trellis/leaflet_assets.cpp")
file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/generated/trellis")
_trellis_leaflet_generate("${_trellis_leaflet_dist}" "${TRELLIS_LEAFLET_SOURCES}")
message(STATUS "Leaflet ${TRELLIS_LEAFLET_FOUND_VERSION} for the viewer: ${_trellis_leaflet_dist}")
unset(_trellis_leaflet_dist)
