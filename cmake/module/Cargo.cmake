# Drives Cargo from CMake, in plain view: one `cargo build` for every selected
# executable, run on each `cmake --build` (Cargo decides what is stale, so a
# no-op build costs one Cargo start-up), then the executables are copied to
# where the documented workflow expects them.
#
# Cache variables a user or toolchain file may set:
#   CARGO_EXECUTABLE, RUSTC_EXECUTABLE  which tools to run
#   CARGO_RUSTFLAGS                     extra rustc flags (default: $RUSTFLAGS at configure time)
#   RUST_TARGET                         a Rust target triple for cross builds (default: the host)
#   CARGO_OFFLINE                       --offline --frozen
#   CARGO_CONFIG                        a Cargo configuration file (--config), e.g.
#                                       the depends tree's vendored crates

find_program(CARGO_EXECUTABLE cargo HINTS $ENV{CARGO_HOME}/bin $ENV{HOME}/.cargo/bin)
find_program(RUSTC_EXECUTABLE rustc HINTS $ENV{CARGO_HOME}/bin $ENV{HOME}/.cargo/bin)
if(NOT CARGO_EXECUTABLE OR NOT RUSTC_EXECUTABLE)
  message(FATAL_ERROR
    "Rust was not found (need cargo and rustc, 1.90 or newer).\n"
    "Install it with rustup (https://rustup.rs) or your distribution's packages, "
    "or point CMake at it with -DCARGO_EXECUTABLE=... -DRUSTC_EXECUTABLE=...")
endif()
execute_process(COMMAND ${RUSTC_EXECUTABLE} --version OUTPUT_VARIABLE RUSTC_VERSION_STRING OUTPUT_STRIP_TRAILING_WHITESPACE)

set(CARGO_RUSTFLAGS "$ENV{RUSTFLAGS}" CACHE STRING "Extra flags for rustc")
set(RUST_TARGET "" CACHE STRING "Rust target triple to build for (empty: the host)")
set(CARGO_CONFIG "" CACHE FILEPATH "A Cargo configuration file to pass with --config")

# CMake build types to Cargo profiles (see [profile.*] in Cargo.toml).
if(CMAKE_BUILD_TYPE STREQUAL "Debug")
  set(CARGO_PROFILE dev)
  set(_cargo_profile_dir debug)
elseif(CMAKE_BUILD_TYPE STREQUAL "RelWithDebInfo")
  set(CARGO_PROFILE relwithdebinfo)
  set(_cargo_profile_dir relwithdebinfo)
elseif(CMAKE_BUILD_TYPE STREQUAL "MinSizeRel")
  set(CARGO_PROFILE minsizerel)
  set(_cargo_profile_dir minsizerel)
else()
  set(CARGO_PROFILE release)
  set(_cargo_profile_dir release)
endif()

set(CARGO_TARGET_DIR ${PROJECT_BINARY_DIR}/cargo)
if(RUST_TARGET)
  set(CARGO_OUTPUT_DIR ${CARGO_TARGET_DIR}/${RUST_TARGET}/${_cargo_profile_dir})
else()
  set(CARGO_OUTPUT_DIR ${CARGO_TARGET_DIR}/${_cargo_profile_dir})
endif()

# Where crates come from, for every cargo command (build, test, clippy).
set(CARGO_SOURCE_FLAGS --locked)
if(CARGO_OFFLINE)
  list(APPEND CARGO_SOURCE_FLAGS --offline --frozen)
endif()
if(CARGO_CONFIG)
  list(APPEND CARGO_SOURCE_FLAGS --config ${CARGO_CONFIG})
endif()
# Flags shared by `cargo build` and `cargo test`.
set(CARGO_FLAGS ${CARGO_SOURCE_FLAGS} --profile ${CARGO_PROFILE})
if(RUST_TARGET)
  list(APPEND CARGO_FLAGS --target ${RUST_TARGET})
endif()
# Keep the build machine's paths out of the executables.
string(STRIP "${CARGO_RUSTFLAGS} --remap-path-prefix=${PROJECT_SOURCE_DIR}=/hashvive --remap-path-prefix=${PROJECT_BINARY_DIR}=/hashvive-build" _rustflags)
# The same for the C and C++ that build scripts compile (the GUI's generated
# C++ names its headers in assertion messages).
set(_prefix_map "-ffile-prefix-map=${PROJECT_SOURCE_DIR}=/hashvive -ffile-prefix-map=${PROJECT_BINARY_DIR}=/hashvive-build")
string(STRIP "$ENV{CFLAGS} ${_prefix_map}" _cflags)
string(STRIP "$ENV{CXXFLAGS} ${_prefix_map}" _cxxflags)
set(CARGO_ENV
  CARGO_TARGET_DIR=${CARGO_TARGET_DIR}
  RUSTC=${RUSTC_EXECUTABLE}
  "RUSTFLAGS=${_rustflags}"
  "CFLAGS=${_cflags}"
  "CXXFLAGS=${_cxxflags}"
)
if(CAPNP_EXECUTABLE)
  list(APPEND CARGO_ENV CAPNP_EXECUTABLE=${CAPNP_EXECUTABLE} CAPNP_INCLUDE_DIR=${CAPNP_INCLUDE_DIR})
endif()
if(QMAKE_EXECUTABLE)
  # The GUI's build script (cxx-qt) finds Qt through this qmake.
  list(APPEND CARGO_ENV QMAKE=${QMAKE_EXECUTABLE})
endif()
if(RUST_TARGET)
  # The target's linker and C/C++ compilers (the latter for crates that build C,
  # such as libbitcoinconsensus) are the ones CMake was given.
  string(TOUPPER "${RUST_TARGET}" _rust_target_env)
  string(REPLACE "-" "_" _rust_target_env "${_rust_target_env}")
  list(APPEND CARGO_ENV CARGO_TARGET_${_rust_target_env}_LINKER=${CMAKE_C_COMPILER} CC_${RUST_TARGET}=${CMAKE_C_COMPILER})
  if(CMAKE_CXX_COMPILER)
    list(APPEND CARGO_ENV CXX_${RUST_TARGET}=${CMAKE_CXX_COMPILER})
  endif()
endif()

# cargo_build_executables(PACKAGE pkg FEATURES f... EXECUTABLES exe... OUTPUT_DIRECTORY dir)
function(cargo_build_executables)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "PACKAGE;OUTPUT_DIRECTORY" "FEATURES;EXECUTABLES")
  list(JOIN ARG_FEATURES "," features)
  set(copy_commands "")
  set(outputs "")
  foreach(exe IN LISTS ARG_EXECUTABLES)
    list(APPEND copy_commands COMMAND ${CMAKE_COMMAND} -E copy_if_different ${CARGO_OUTPUT_DIR}/${exe} ${ARG_OUTPUT_DIRECTORY}/${exe})
    list(APPEND outputs ${ARG_OUTPUT_DIRECTORY}/${exe})
  endforeach()
  set(HASHVIVE_CARGO_FEATURES "${features}" PARENT_SCOPE)
  add_custom_target(cargo-build ALL
    COMMAND ${CMAKE_COMMAND} -E make_directory ${ARG_OUTPUT_DIRECTORY}
    COMMAND ${CMAKE_COMMAND} -E env ${CARGO_ENV}
      ${CARGO_EXECUTABLE} build ${CARGO_FLAGS} --package ${ARG_PACKAGE} --no-default-features --features "${features}" --bins
    ${copy_commands}
    BYPRODUCTS ${outputs}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "Building ${ARG_EXECUTABLES} with cargo (profile ${CARGO_PROFILE})"
    USES_TERMINAL
    VERBATIM
  )
endfunction()

# Man pages, shell completions and the example configuration file, rendered
# by the workspace's hashvive-docgen from the option definitions into
# OUTPUT_DIRECTORY (man/, completions/, examples/) after the executables.
function(cargo_generate_docs)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "OUTPUT_DIRECTORY" "")
  add_custom_target(docs ALL
    COMMAND ${CMAKE_COMMAND} -E env ${CARGO_ENV}
      ${CARGO_EXECUTABLE} build ${CARGO_FLAGS} --package hashvive-docgen
    COMMAND ${CARGO_OUTPUT_DIR}/hashvive-docgen ${ARG_OUTPUT_DIRECTORY}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "Rendering man pages, completions and hashvive.conf from the option definitions"
    USES_TERMINAL
    VERBATIM
  )
  # One cargo at a time: both share the target directory's lock anyway.
  add_dependencies(docs cargo-build)
endfunction()
