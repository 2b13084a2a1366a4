# Packages built for the host on every configuration: the Rust crates the
# build needs, vendored so the build runs offline.
packages := crates

# Built for the build machine when MULTIPROCESS is set: the schema compiler.
multiprocess_native_packages := native_capnp
