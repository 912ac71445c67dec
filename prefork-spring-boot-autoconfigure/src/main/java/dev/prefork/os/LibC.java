package dev.prefork.os;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The libc calls jnr-posix does not offer (listening sockets, {@code posix_spawn} with signal
 * attributes and {@code closefrom}, {@code waitid}, signal dispositions), bound directly
 * through jnr-ffi. Linux, glibc ≥ 2.34.
 */
public interface LibC {

	int AF_UNIX = 1;

	int AF_INET = 2;

	int AF_INET6 = 10;

	int SOCK_STREAM = 1;

	int SOCK_CLOEXEC = 0x80000;

	int SOL_SOCKET = 1;

	int SO_REUSEADDR = 2;

	int SO_ACCEPTCONN = 30;

	int IPPROTO_IPV6 = 41;

	int IPV6_V6ONLY = 26;

	int O_CLOEXEC = 0x80000;

	int F_DUPFD_CLOEXEC = 1030;

	int F_GETFD = 1;

	int F_SETFD = 2;

	int FD_CLOEXEC = 1;

	short POSIX_SPAWN_SETSIGDEF = 0x04;

	short POSIX_SPAWN_SETSIGMASK = 0x08;

	/** glibc 2.26+: the child starts a new session, without a controlling terminal. */
	short POSIX_SPAWN_SETSID = 0x80;

	int P_PID = 1;

	int WEXITED = 4;

	int WNOWAIT = 0x01000000;

	int EINTR = 4;

	int EBADF = 9;

	int EADDRINUSE = 98;

	/** Generous upper bounds of glibc's opaque types, so one allocation fits every libc. */
	int SPAWN_FILE_ACTIONS_SIZE = 256;

	int SPAWN_ATTR_SIZE = 512;

	int SIGSET_SIZE = 128;

	int SIGINFO_SIZE = 128;

	int socket(int domain, int type, int protocol);

	int setsockopt(int fd, int level, int option, @In int[] value, int length);

	int getsockopt(int fd, int level, int option, @Out int[] value, int[] length);

	int bind(int fd, @In byte[] address, int length);

	int connect(int fd, @In byte[] address, int length);

	int SOCK_NONBLOCK = 0x800;

	int ENOENT = 2;

	int EAGAIN = 11;

	int ECONNREFUSED = 111;

	int listen(int fd, int backlog);

	int getsockname(int fd, @Out byte[] address, int[] length);

	int pipe2(@Out int[] fds, int flags);

	int fcntl(int fd, int command, int argument);

	int waitid(int idType, int id, Pointer info, int options);

	Pointer signal(int signal, Pointer handler);

	int sigemptyset(Pointer set);

	int sigfillset(Pointer set);

	int posix_spawn_file_actions_init(Pointer actions);

	int posix_spawn_file_actions_destroy(Pointer actions);

	int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newFd);

	int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);

	int posix_spawnattr_init(Pointer attributes);

	int posix_spawnattr_destroy(Pointer attributes);

	int posix_spawnattr_setflags(Pointer attributes, short flags);

	int posix_spawnattr_setsigmask(Pointer attributes, Pointer mask);

	int posix_spawnattr_setsigdefault(Pointer attributes, Pointer signals);

	int posix_spawn(@Out int[] pid, String path, Pointer actions, Pointer attributes, Pointer argv, Pointer envp);

	int isatty(int fd);

	String strerror(int errno);

	/** glibc: returns free memory at the top of the heap and in free pages to the system. */
	int malloc_trim(long pad);

	int SOCK_DGRAM = 2;

	int MSG_NOSIGNAL = 0x4000;

	int WNOHANG = 1;

	long sendto(int fd, @In byte[] buffer, long length, int flags, @In byte[] address, int addressLength);

	/** prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are reparented to this process. */
	int prctl(int option, long argument2, long argument3, long argument4, long argument5);

	int PR_SET_CHILD_SUBREAPER = 36;

}
