#!/usr/bin/env python3
"""Build fake /proc/cpuinfo and DMI trees for the estimate's tests.

    mktree.py OUTDIR [NAME...]

For each fixture NAME (all of them by default) it writes
OUTDIR/NAME/proc/cpuinfo and OUTDIR/NAME/sys/class/dmi/id/<field>, shaped
as Linux prints them on that kind of machine: one block per logical CPU,
"physical id", "siblings", "cpu cores" and a flags line with or without
"hypervisor". The fixtures are data, so the unit tests and
scripts/estimate_vs_codecarbon.py use the same machines.

DMI values are strings; None leaves the file out (ENOENT, as on most
non-cloud VMs); "<dir>" makes a directory in its place, whose read fails
with EISDIR (root reads every mode, so an unreadable file cannot be faked
by permissions when the tests run as root).
"""
import os
import sys

X86_FLAGS = ("fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr "
             "sse sse2 ht syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology cpuid pni "
             "pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand")

FIXTURES = {
    # A two-socket server whose brand string is in the TDP table.
    "xeon-gold-6248-2s": dict(
        vendor="GenuineIntel", family=6, model=85, stepping=7,
        name="Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", sockets=2, cores=20, smt=2, vm=False,
        dmi={"sys_vendor": "Dell Inc.", "product_name": "PowerEdge R740", "chassis_asset_tag": ""}),
    # GCP n2-standard-8: brand string masked, CPUID kept (Cascade Lake).
    "gcp-n2-masked": dict(
        vendor="GenuineIntel", family=6, model=85, stepping=7,
        name="Intel(R) Xeon(R) CPU @ 2.80GHz", sockets=1, cores=4, smt=2, vm=True,
        dmi={"sys_vendor": "Google", "product_name": "Google Compute Engine", "chassis_asset_tag": ""}),
    # QEMU's default CPU model on a plain KVM host: nothing is known.
    "qemu-unknown": dict(
        vendor="AuthenticAMD", family=15, model=107, stepping=1,
        name="QEMU Virtual CPU version 2.5+", sockets=1, cores=4, smt=1, vm=True,
        dmi={"sys_vendor": "QEMU", "product_name": "Standard PC (i440FX + PIIX, 1996)",
             "chassis_asset_tag": None}),
    # AWS m6a.2xlarge: real brand string (in the TDP table) but a VM.
    "aws-epyc-7r13": dict(
        vendor="AuthenticAMD", family=25, model=1, stepping=1,
        name="AMD EPYC 7R13 Processor", sockets=1, cores=4, smt=2, vm=True,
        dmi={"sys_vendor": "Amazon EC2", "product_name": "m6a.2xlarge", "chassis_asset_tag": "Amazon EC2"}),
    # AWS with a CPUID the map does not know (Sierra Forest): provider average.
    "aws-unmapped": dict(
        vendor="GenuineIntel", family=6, model=175, stepping=3,
        name="Intel(R) Xeon(R) 6710E", sockets=1, cores=8, smt=1, vm=True,
        dmi={"sys_vendor": "Amazon EC2", "product_name": "c8i.2xlarge", "chassis_asset_tag": "Amazon EC2"}),
    # Azure (Hyper-V with Azure's asset tag) and plain Hyper-V without it.
    "azure-unmapped": dict(
        vendor="GenuineIntel", family=6, model=175, stepping=3,
        name="Intel(R) Xeon(R) Processor", sockets=1, cores=2, smt=2, vm=True,
        dmi={"sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine",
             "chassis_asset_tag": "7783-7084-3265-9085-8269-3286-77"}),
    "hyperv-unmapped": dict(
        vendor="GenuineIntel", family=6, model=175, stepping=3,
        name="Intel(R) Xeon(R) Processor", sockets=1, cores=2, smt=2, vm=True,
        dmi={"sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine",
             "chassis_asset_tag": "None"}),
    # DMI that cannot be read: one file absent, one a directory.
    "dmi-unreadable": dict(
        vendor="GenuineIntel", family=6, model=106, stepping=6,
        name="Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", sockets=1, cores=2, smt=2, vm=True,
        dmi={"sys_vendor": None, "product_name": "<dir>", "chassis_asset_tag": None}),
    # An ARM guest: no vendor_id, no x86 flags, so virtualisation unknown.
    "arm-neoverse": dict(arm=True, cpus=4, dmi={"sys_vendor": "Amazon EC2", "product_name": "m6g.xlarge",
                                                "chassis_asset_tag": "Amazon EC2"}),
    # Bare-metal machines CodeCarbon profiled with RAPL (comparison script).
    "e5-2620v3-2s": dict(
        vendor="GenuineIntel", family=6, model=63, stepping=2,
        name="Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz", sockets=2, cores=6, smt=2, vm=False,
        dmi={"sys_vendor": "Dell Inc.", "product_name": "PowerEdge R630", "chassis_asset_tag": ""}),
    "epyc-8024p": dict(
        vendor="AuthenticAMD", family=25, model=160, stepping=2,
        name="AMD EPYC 8024P 8-Core Processor", sockets=1, cores=8, smt=2, vm=False,
        dmi={"sys_vendor": "Supermicro", "product_name": "AS -1015CS-TNR", "chassis_asset_tag": ""}),
}


def x86_cpuinfo(f):
    blocks = []
    n = 0
    for sock in range(f["sockets"]):
        for thread in range(f["smt"]):
            for core in range(f["cores"]):
                flags = X86_FLAGS + (" hypervisor" if f["vm"] else "") + " lahf_lm abm arat"
                blocks.append(
                    f"processor\t: {n}\nvendor_id\t: {f['vendor']}\ncpu family\t: {f['family']}\n"
                    f"model\t\t: {f['model']}\nmodel name\t: {f['name']}\nstepping\t: {f['stepping']}\n"
                    f"microcode\t: 0x1\ncpu MHz\t\t: 2500.000\ncache size\t: 28160 KB\n"
                    f"physical id\t: {sock}\nsiblings\t: {f['cores'] * f['smt']}\ncore id\t\t: {core}\n"
                    f"cpu cores\t: {f['cores']}\napicid\t\t: {n}\nfpu\t\t: yes\ncpuid level\t: 22\n"
                    f"wp\t\t: yes\nflags\t\t: {flags}\nbogomips\t: 5000.00\nclflush size\t: 64\n"
                    f"address sizes\t: 46 bits physical, 48 bits virtual\npower management:\n")
                n += 1
    return "\n".join(blocks) + "\n"


def arm_cpuinfo(f):
    return "\n".join(
        f"processor\t: {i}\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 "
        f"atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs\nCPU implementer\t: 0x41\n"
        f"CPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n"
        for i in range(f["cpus"])) + "\n"


def build(out, name):
    f = FIXTURES[name]
    proc = os.path.join(out, name, "proc")
    dmi = os.path.join(out, name, "sys", "class", "dmi", "id")
    os.makedirs(proc, exist_ok=True)
    os.makedirs(dmi, exist_ok=True)
    with open(os.path.join(proc, "cpuinfo"), "w") as fp:
        fp.write(arm_cpuinfo(f) if f.get("arm") else x86_cpuinfo(f))
    for field, value in f["dmi"].items():
        path = os.path.join(dmi, field)
        if value == "<dir>":
            os.makedirs(path, exist_ok=True)
        elif value is not None:
            with open(path, "w") as fp:
                fp.write(value + "\n")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    names = argv[2:] or sorted(FIXTURES)
    for name in names:
        if name not in FIXTURES:
            sys.exit(f"mktree: no fixture '{name}'. Known: {', '.join(sorted(FIXTURES))}")
        build(argv[1], name)


if __name__ == "__main__":
    main(sys.argv)
