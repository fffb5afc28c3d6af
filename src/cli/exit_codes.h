#ifndef TUIDANG_CLI_EXIT_CODES_H_
#define TUIDANG_CLI_EXIT_CODES_H_

// The exit statuses of sysexits(3) that the commands use, in one place: scripts and mail
// servers (Postfix bounces on 65, retries on 75) read them.
namespace tuidang::cli {

inline constexpr int kExUsage = 64;     // EX_USAGE: a wrong command line
inline constexpr int kExDataErr = 65;   // EX_DATAERR: the input is malformed
inline constexpr int kExNoInput = 66;   // EX_NOINPUT: an input file cannot be read
inline constexpr int kExNoUser = 67;    // EX_NOUSER: no such operator
inline constexpr int kExSoftware = 70;  // EX_SOFTWARE: an internal error
inline constexpr int kExTempFail = 75;  // EX_TEMPFAIL: try again later
inline constexpr int kExNoPerm = 77;    // EX_NOPERM: the operator may not do this
inline constexpr int kExConfig = 78;    // EX_CONFIG: the configuration is wrong

}  // namespace tuidang::cli

#endif  // TUIDANG_CLI_EXIT_CODES_H_
