# The package machinery: fetch, verify, build, stage, cache, install.
#
# A recipe (packages/<name>.mk) sets <name>_version, _download_path,
# _file_name, _sha256_hash and the commands it needs:
#   _config_cmds, _build_cmds  run in the unpacked source directory
#   _stage_cmds                copies the result into $(<name>_staging),
#                              laid out as it will be under the prefix
#   _fetch_cmds                (optional) produce $(1) another way than a download
#   _verify_cmds               (optional) replace the sha256 check of the source
# Packages named native_* run on the build machine and install into
# <host>/native; the others into <host>.
#
# Built packages are cached in $(BASE_CACHE)/<host>/<name>/ under a build id
# that hashes the recipe, this file, the host, the compilers and DEBUG: a
# second `make` with nothing changed installs from the cache or does nothing.

compiler_id := $(shell { $(host_CC) --version; $(host_CXX) --version; $(build_CXX) --version; } 2>/dev/null | sha256sum | cut -c1-16)

# Runs a step, quietly with LOG=1 (output kept in the package's work directory
# and shown on failure).
ifeq ($(LOG),)
run_logged = $(1)
else
run_logged = ( $(1) ) > $(2)/build.log 2>&1 || { cat $(2)/build.log; exit 1; }
endif

define package_vars
$(1)_prefix := $(if $(filter native_%,$(1)),$(build_prefix),$(host_prefix))
$(1)_source := $(SOURCES_PATH)/$$($(1)_file_name)
$(1)_build_id := $$(shell cat $(BASEDIR)/packages/$(1).mk $(BASEDIR)/funcs.mk | \
  { cat; echo "$(HOST) $(compiler_id) $(DEBUG)"; } | sha256sum | cut -c1-12)
$(1)_cached := $(BASE_CACHE)/$(HOST)/$(1)/$(1)-$$($(1)_version)-$$($(1)_build_id).tar.gz
$(1)_work := $(WORK_PATH)/$(HOST)/$(1)-$$($(1)_build_id)
$(1)_staging := $$($(1)_work)/staging
$(1)_stamp := $(host_prefix)/.stamps/$(1)-$$($(1)_version)-$$($(1)_build_id)
$(1)_verify_cmds ?= echo "$$($(1)_sha256_hash)  $$($(1)_source)" | sha256sum --check --status
endef

# Downloads $(2) from $(1) (then from FALLBACK_DOWNLOAD_PATH) into $(3),
# keeping it only if its sha256 is $(4).
define download_verified
  mkdir -p $(dir $(3)) && rm -f $(3).part && \
  { curl --fail --location --silent --show-error --retry 2 --output $(3).part $(1)/$(2) || \
    { test -n "$(FALLBACK_DOWNLOAD_PATH)" && \
      curl --fail --location --silent --show-error --retry 2 --output $(3).part $(FALLBACK_DOWNLOAD_PATH)/$(2); }; } && \
  if echo "$(4)  $(3).part" | sha256sum --check --status; then mv $(3).part $(3); \
  else echo "error: $(2) from $(1) has sha256 `sha256sum < $(3).part | cut -d' ' -f1`, expected $(4)" >&2; \
    rm -f $(3).part; exit 1; fi
endef

define package_rules
$(eval $(call package_vars,$(1)))

$($(1)_source):
	@echo "Fetching $(1) $($(1)_version)"
	$(AT)$(if $($(1)_fetch_cmds),$(call $(1)_fetch_cmds,$($(1)_source)),$(call download_verified,$($(1)_download_path),$($(1)_file_name),$($(1)_source),$($(1)_sha256_hash)))

$($(1)_cached): | $($(1)_source)
	$(AT)$($(1)_verify_cmds) || { echo "error: $($(1)_source) does not have the sha256 the recipe pins ($($(1)_sha256_hash)); delete it and run make download again" >&2; exit 1; }
	@echo "Building $(1) $($(1)_version) for $(HOST)"
	$(AT)rm -rf $($(1)_work) && mkdir -p $($(1)_work)/src $($(1)_staging)
	$(AT)$(if $($(1)_download_path),tar xzf $($(1)_source) --strip-components=1 -C $($(1)_work)/src,true)
	$(AT)cd $($(1)_work)/src && $(call run_logged,$(or $($(1)_config_cmds),true),$($(1)_work))
	$(AT)cd $($(1)_work)/src && $(call run_logged,$(or $($(1)_build_cmds),true),$($(1)_work))
	$(AT)cd $($(1)_work)/src && $(call run_logged,$($(1)_stage_cmds),$($(1)_work))
	$(AT)mkdir -p $$(dir $$@) && tar czf $$@.part -C $($(1)_staging) . && mv $$@.part $$@
	$(AT)rm -rf $($(1)_work)

$($(1)_stamp): $($(1)_cached)
	@echo "Installing $(1) into $($(1)_prefix)"
	$(AT)mkdir -p $($(1)_prefix) $(host_prefix)/.stamps
	$(AT)rm -f $(host_prefix)/.stamps/$(1)-*
	$(AT)tar xzf $$< -C $($(1)_prefix)
	$(AT)touch $$@
endef
