# Finds the Cap'n Proto schema compiler and its standard imports
# (capnp/c++.capnp), first through pkg-config (capnp.pc), then on PATH.
# Sets CAPNP_EXECUTABLE, CAPNP_INCLUDE_DIR, Capnp_VERSION, Capnp_FOUND.
# A user may point at one with -DCAPNP_EXECUTABLE=/path/to/capnp.

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_CAPNP QUIET capnp)
endif()

find_program(CAPNP_EXECUTABLE capnp HINTS ${PC_CAPNP_PREFIX}/bin)

if(CAPNP_EXECUTABLE)
  execute_process(COMMAND ${CAPNP_EXECUTABLE} --version
    OUTPUT_VARIABLE _capnp_version_output OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_capnp_version_output MATCHES "([0-9]+\\.[0-9]+(\\.[0-9]+)?)")
    set(Capnp_VERSION ${CMAKE_MATCH_1})
  endif()
  get_filename_component(_capnp_bindir ${CAPNP_EXECUTABLE} DIRECTORY)
  find_path(CAPNP_INCLUDE_DIR capnp/c++.capnp
    HINTS ${PC_CAPNP_INCLUDEDIR} ${PC_CAPNP_PREFIX}/include ${_capnp_bindir}/../include)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Capnp
  REQUIRED_VARS CAPNP_EXECUTABLE CAPNP_INCLUDE_DIR
  VERSION_VAR Capnp_VERSION
  REASON_FAILURE_MESSAGE
"WITH_MULTIPROCESS=ON needs the Cap'n Proto schema compiler (capnp) and its
standard imports (capnp/c++.capnp). Install them with one of:
  Debian/Ubuntu:  apt-get install capnproto libcapnp-dev
  Fedora:         dnf install capnproto capnproto-devel
  Arch:           pacman -S capnproto
  Homebrew:       brew install capnp
  Nix:            nix-shell -p capnproto
or build it from source with the depends tree
  (make -C depends NO_QT=1 MULTIPROCESS=1, then --toolchain=depends/<host>/toolchain.cmake),
or point CMake at an installation with -DCAPNP_EXECUTABLE=/path/to/capnp,
or configure with -DWITH_MULTIPROCESS=OFF to build without Cap'n Proto."
)
mark_as_advanced(CAPNP_EXECUTABLE CAPNP_INCLUDE_DIR)
