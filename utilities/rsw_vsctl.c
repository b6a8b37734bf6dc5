/* SPDX-License-Identifier: Apache-2.0 */
/* rsw-vsctl: configures rsw-switchd through its database (vsctl.h). */
#include <stdio.h>
#include "vsctl.h"

int
main(int argc, char *argv[])
{
    struct vsctl_options o;
    char err[VSCTL_ERR_SIZE];
    int rc = vsctl_parse_args(argc, argv, &o, err, sizeof err);

    if (rc) {
        vsctl_options_destroy(&o);
        if (rc > 0) {
            return 0;           /* --help */
        }
        fprintf(stderr, "rsw-vsctl: %s\n", err);
        return 1;
    }
    rc = vsctl_run(&o);
    vsctl_options_destroy(&o);
    return rc;
}
