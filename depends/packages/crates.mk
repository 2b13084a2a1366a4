# Every crate in Cargo.lock, vendored so hashvive builds with no network.
# `cargo vendor --locked` checks each download against the checksum the lock
# file records, so the lock file's own hash pins the whole set: it names the
# source directory, and a vendored set that does not match fails the build.
package := crates
$(package)_lock := $(BASEDIR)/../Cargo.lock
$(package)_version := $(shell sha256sum $($(package)_lock) | cut -c1-16)
$(package)_file_name := crates-$($(package)_version)
$(package)_sha256_hash := $(shell sha256sum $($(package)_lock) | cut -d' ' -f1)
cargo ?= cargo

define $(package)_fetch_cmds
  $(cargo) vendor --quiet --locked --versioned-dirs --manifest-path $(BASEDIR)/../Cargo.toml $(1).part > /dev/null && \
  cp $($(package)_lock) $(1).part/Cargo.lock && \
  mv $(1).part $(1)
endef

# The vendored set belongs to this lock file: nothing else is accepted.
define $(package)_verify_cmds
  echo "$($(package)_sha256_hash)  $($(package)_source)/Cargo.lock" | sha256sum --check --status
endef

define $(package)_stage_cmds
  mkdir -p $($(package)_staging) && cp -a $($(package)_source) $($(package)_staging)/vendor && \
  rm $($(package)_staging)/vendor/Cargo.lock
endef
