# The Cap'n Proto schema compiler and its standard imports (capnp/c++.capnp and
# friends); hashvive's Rust code generator (capnpc) runs it at build time.
# Only the `capnp` executable is built: hashvive links no C++ Cap'n Proto code.
package := native_capnp
$(package)_version := 0.9.2
$(package)_download_path := https://capnproto.org
$(package)_file_name := capnproto-c++-$($(package)_version).tar.gz
# The release tarball, byte-identical to Debian 12's capnproto_0.9.2.orig.tar.gz.
$(package)_sha256_hash := 4031e9c9158fce1979baf3c5234315c1be74b273c0be9f6c4aaf4d0dfda52542

define $(package)_config_cmds
  CC="$(build_CC)" CXX="$(build_CXX)" CXXFLAGS="-O2 -w" ./configure --disable-shared --enable-static \
    --without-openssl --without-zlib --disable-dependency-tracking --prefix=/
endef

define $(package)_build_cmds
  $(MAKE) capnp
endef

define $(package)_stage_cmds
  mkdir -p $($(package)_staging)/bin $($(package)_staging)/include/capnp && \
  cp capnp $($(package)_staging)/bin/capnp && \
  ln -sf capnp $($(package)_staging)/bin/capnpc && \
  cp src/capnp/c++.capnp src/capnp/schema.capnp src/capnp/stream.capnp src/capnp/rpc.capnp \
     src/capnp/rpc-twoparty.capnp src/capnp/persistent.capnp $($(package)_staging)/include/capnp/
endef
