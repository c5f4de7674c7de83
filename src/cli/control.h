/* control.h: the control socket of `aipm run`, through which `aipm mark`
 * and `aipm log`, started anywhere inside the measured command, reach the
 * running meter.
 *
 * `aipm run` creates an abstract unix socket (a random name, no file, so
 * nothing is left behind however aipm ends) before it starts the command,
 * puts "@" and its name in the command's environment as AIPM_CONTROL, and
 * serves it from one thread. Both ends check the other's user with
 * SO_PEERCRED (the same user or root), which an abstract socket's missing
 * file permissions leave to them. The protocol is one SOCK_SEQPACKET
 * message each way, fields separated by NUL bytes:
 *
 *   request  "begin" NAME | "end" NAME | "log" KEY VALUE [KEY VALUE...]
 *            (at most 256 pairs and 64 KiB: more is refused, never cut)
 *   reply    "ok" | "error" ERRNO MESSAGE
 *
 * The server writes through the recording's phase and log calls
 * (include/aipm.h), so phases and metrics land in the recording exactly as
 * the library's meter writes them: each at an edge sample, taken when the
 * request arrives, so the reply comes once that sample is taken (or its
 * bounded wait is over).
 */
#ifndef AIPM_CLI_CONTROL_H
#define AIPM_CLI_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#define AIPM_CONTROL_ENV "AIPM_CONTROL"

#include "aipm.h"

struct control;

/* Create the socket for rec's recording, set AIPM_CONTROL and start
 * serving. Call with the signals already blocked (the thread inherits the
 * mask, so signals keep going to run's sigwaitinfo). -errno with the
 * message in aipm_error_last(). Lines before aipm_recording_start have the
 * clock's time; stop serving before the recording stops. */
int control_start(struct control **out, aipm_recording *rec);
/* Stop serving, close the socket, unset AIPM_CONTROL. NULL is fine. */
void control_stop(struct control *c);

/* Client: send one request of len bytes to $AIPM_CONTROL and wait for the
 * reply. Returns 0, or a negative errno: the server's (message in
 * aipm_error_last()), -ENOENT when not inside `aipm run` (AIPM_CONTROL unset),
 * -ECONNREFUSED when the run named by AIPM_CONTROL is gone. */
int control_request(const char *req, size_t len);

#endif
