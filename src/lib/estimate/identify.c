/* identify.c: who the CPU is, from /proc/cpuinfo and DMI, offline.
 *
 * Reads only below the two roots the caller passes (a fake tree in tests),
 * relative to directory fds, so nothing here depends on the environment.
 * Cloud VMs often mask the brand string ("Intel(R) Xeon(R) CPU @ 2.20GHz")
 * but keep CPUID family/model/stepping, which is why all three are kept:
 * the model chooser maps them to a micro-architecture. DMI names the
 * provider where the hypervisor exposes it; an unreadable DMI file is a
 * recorded fact (dmi_err), never an error.
 *
 * Runs once per recording, not per sample: it may open and close files,
 * but it still reads into fixed buffers and never allocates.
 */
#include "estimate/estimate.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Azure's SMBIOS chassis asset tag (ASCII of "MSFT AZURE VM"); cloud-init's
 * DataSourceAzure uses the same constant to tell Azure from plain Hyper-V,
 * whose DMI otherwise reads the same ("Microsoft Corporation"). */
#define AZURE_ASSET_TAG "7783-7084-3265-9085-8269-3286-77"

/* Distinct "physical id" values seen; more sockets than this is not a
 * machine anyone runs (8-socket servers exist, 64 do not). */
#define MAX_SOCKETS 64

struct scan {
	struct aipm_cpu_identity *id;
	unsigned blocks;	/* "processor" lines seen so far */
	unsigned phys[MAX_SOCKETS];
};

static const char *const dmi_files[AIPM_DMI_NFIELDS] = {
	[AIPM_DMI_SYS_VENDOR] = "sys_vendor",
	[AIPM_DMI_PRODUCT_NAME] = "product_name",
	[AIPM_DMI_CHASSIS_ASSET_TAG] = "chassis_asset_tag",
};

const char *aipm_dmi_field_name(enum aipm_dmi_field f)
{
	return (unsigned)f < AIPM_DMI_NFIELDS ? dmi_files[f] : "?";
}

const char *aipm_cloud_name(enum aipm_cloud c)
{
	switch (c) {
	case AIPM_CLOUD_AWS: return "aws";
	case AIPM_CLOUD_GCP: return "gcp";
	case AIPM_CLOUD_AZURE: return "azure";
	default: return "unknown";
	}
}

const char *aipm_cpu_virt_name(enum aipm_cpu_virt v)
{
	switch (v) {
	case AIPM_VIRT_NONE: return "none";
	case AIPM_VIRT_VM: return "vm";
	default: return "unknown";
	}
}

static void copy_str(char *dst, size_t n, const char *src)
{
	size_t len = strnlen(src, n - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* A decimal in [0, INT_MAX]; -1 when the value is not one. */
static int parse_int(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || errno || v < 0 || v > 0x7fffffff)
		return -1;
	return (int)v;
}

static bool has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	for (const char *p = list; (p = strstr(p, tok)) != NULL; p += n) {
		bool start = p == list || p[-1] == ' ' || p[-1] == '\t';
		bool end = p[n] == '\0' || p[n] == ' ' || p[n] == '\t';
		if (start && end)
			return true;
	}
	return false;
}

static void note_socket(struct scan *s, int phys)
{
	struct aipm_cpu_identity *id = s->id;
	if (phys < 0)
		return;
	for (unsigned i = 0; i < id->sockets; i++)
		if (s->phys[i] == (unsigned)phys)
			return;
	if (id->sockets < MAX_SOCKETS)
		s->phys[id->sockets++] = (unsigned)phys;
}

/* One "key<TAB>: value" line. The CPU's identity comes from the first
 * block only (hybrid parts share family/model); counts from every block. */
static void on_line(struct scan *s, char *line)
{
	struct aipm_cpu_identity *id = s->id;
	char *colon = strchr(line, ':');
	if (!colon)
		return;
	char *val = colon + 1;
	*colon = '\0';
	aipm_chomp(line);
	while (*val == ' ' || *val == '\t')
		val++;
	aipm_chomp(val);
	if (strcmp(line, "processor") == 0) {
		s->blocks++;
		id->ncpus++;
		return;
	}
	if (strcmp(line, "physical id") == 0) {
		note_socket(s, parse_int(val));
		return;
	}
	if (s->blocks > 1)
		return;
	if (strcmp(line, "vendor_id") == 0) {
		copy_str(id->vendor_id, sizeof id->vendor_id, val);
		id->vendor = strcmp(val, "GenuineIntel") == 0	   ? AIPM_CPU_VENDOR_INTEL
			     : strcmp(val, "AuthenticAMD") == 0 ? AIPM_CPU_VENDOR_AMD
								 : AIPM_CPU_VENDOR_OTHER;
	} else if (strcmp(line, "cpu family") == 0) {
		id->family = parse_int(val);
	} else if (strcmp(line, "model") == 0) {
		id->model = parse_int(val);
	} else if (strcmp(line, "model name") == 0) {
		copy_str(id->model_name, sizeof id->model_name, val);
	} else if (strcmp(line, "stepping") == 0) {
		id->stepping = parse_int(val);
	} else if (strcmp(line, "cpu cores") == 0) {
		int v = parse_int(val);
		id->cores_per_socket = v > 0 ? (unsigned)v : 0;
	} else if (strcmp(line, "siblings") == 0) {
		int v = parse_int(val);
		id->threads_per_socket = v > 0 ? (unsigned)v : 0;
	} else if (strcmp(line, "flags") == 0) {
		id->virt = has_token(val, "hypervisor") ? AIPM_VIRT_VM : AIPM_VIRT_NONE;
	}
}

/* Stream the file line by line: a 256-CPU server's cpuinfo is ~400 KB.
 * A line longer than the line buffer (none today: flags are ~2 KB) is
 * cut, not split, so its tail is never read as a line of its own. */
static int scan_cpuinfo(int fd, struct scan *s)
{
	char buf[16384], line[8192];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				line[len] = '\0';
				on_line(s, line);
				len = 0;
			} else if (len < sizeof line - 1) {
				line[len++] = buf[i];
			}
		}
		if (n == 0)
			break;
	}
	if (len > 0) {
		line[len] = '\0';
		on_line(s, line);
	}
	return 0;
}

static void read_dmi(const char *sys_root, struct aipm_cpu_identity *id)
{
	int dfd = open(sys_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int open_err = dfd < 0 ? -errno : 0;
	for (int i = 0; i < AIPM_DMI_NFIELDS; i++) {
		char path[64], buf[AIPM_CPU_STR_MAX];
		long n;
		snprintf(path, sizeof path, "class/dmi/id/%s", dmi_files[i]);
		n = dfd < 0 ? open_err : aipm_read_file_at(dfd, path, buf, sizeof buf);
		id->dmi_err[i] = n < 0 ? (int)n : 0;
		if (n >= 0) {
			aipm_chomp(buf);
			copy_str(id->dmi[i], sizeof id->dmi[i], buf);
		}
	}
	if (dfd >= 0)
		close(dfd);
	const char *vendor = id->dmi[AIPM_DMI_SYS_VENDOR], *product = id->dmi[AIPM_DMI_PRODUCT_NAME];
	if (strcmp(vendor, "Amazon EC2") == 0)
		id->cloud = AIPM_CLOUD_AWS;
	else if (strcmp(vendor, "Google") == 0 || strcmp(product, "Google Compute Engine") == 0)
		id->cloud = AIPM_CLOUD_GCP;
	else if (strcmp(vendor, "Microsoft Corporation") == 0 &&
		 strcmp(id->dmi[AIPM_DMI_CHASSIS_ASSET_TAG], AZURE_ASSET_TAG) == 0)
		id->cloud = AIPM_CLOUD_AZURE;
}

int aipm_cpu_identify(const char *proc_root, const char *sys_root, struct aipm_cpu_identity *id)
{
	struct aipm_cpu_identity tmp;
	struct scan s = {.id = &tmp};
	memset(&tmp, 0, sizeof tmp);
	tmp.family = tmp.model = tmp.stepping = -1;
	int dfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return aipm_err(-errno, "estimate: opening %s: %s. Pass the directory that holds cpuinfo", proc_root,
				strerror(errno));
	int fd = aipm_openat_ro(dfd, "cpuinfo");
	close(dfd);
	if (fd < 0)
		return aipm_err(fd, "estimate: reading %s/cpuinfo: %s. Without it the CPU cannot be identified",
				proc_root, strerror(-fd));
	int rc = scan_cpuinfo(fd, &s);
	close(fd);
	if (rc < 0)
		return aipm_err(rc, "estimate: reading %s/cpuinfo: %s", proc_root, strerror(-rc));
	if (tmp.ncpus == 0)
		return aipm_err(-ENODATA, "estimate: %s/cpuinfo lists no processor. Check that it is a Linux cpuinfo",
				proc_root);
	read_dmi(sys_root, &tmp);
	*id = tmp;
	return 0;
}
