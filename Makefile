# The two commands of the README's quick start. Each installs what is
# missing (apt-get as root, a clear message otherwise), builds and runs.
#   make demo   build, then measure a small CPU workload and print the report
#   make check  the whole test suite, with AddressSanitizer and UBSan, and
#               warnings as errors (CI's build; a plain build keeps werror
#               off so a newer compiler's new warning breaks nobody)
BUILD ?= build
CHECK_BUILD ?= build-check
MESON_FLAGS ?=

.PHONY: all demo check bench clean deps

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	./scripts/deps.sh
	meson setup $(BUILD) -Dtests=disabled $(MESON_FLAGS)

demo: all
	./scripts/demo.sh $(BUILD)/aipm

check:
	./scripts/deps.sh --integration
	@[ -f $(CHECK_BUILD)/build.ninja ] || meson setup $(CHECK_BUILD) -Dwerror=true -Dtests=enabled \
		-Db_sanitize=address,undefined -Db_lundef=false $(MESON_FLAGS)
	@meson configure $(CHECK_BUILD) -Dwerror=true -Dtests=enabled # a build-check made before werror's default changed
	ninja -C $(CHECK_BUILD)
	./scripts/check.sh $(CHECK_BUILD)

bench: all
	./scripts/deps.sh
	ninja -C $(BUILD) bench/bench_sample bench/bench_nvml bench/bench_report bench/bench_phases bench/bench_serve bench/bench_marks bench/bench_scope bench/bench_burn
	./bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(CHECK_BUILD)
