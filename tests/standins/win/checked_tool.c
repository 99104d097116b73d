/* Stand-in for a Windows console tool (net, wpeutil, setup, ...): asks a test's checker over loopback what to do.
 *
 * Sends, as UTF-8 separated by NUL bytes: the program's own file name, GetCommandLineW(), the current directory
 * and %WINPE_URL%; then prints the checker's reply after its first line (raw bytes to stdout) and exits with the
 * number on that first line.  The checker's TCP port is in %CWPE_CHECK_PORT%.  When the tool cannot ask the
 * checker (no port: 97; socket trouble: 98, 99) it prints one "STANDIN-TOOL plumbing:" line on stderr.
 */
#include <winsock2.h>
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>

static int utf8(const wchar_t *text, char *out, int room)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, text, -1, out, room, NULL, NULL);
    return n > 0 ? n : (out[0] = 0, 1);   /* n counts the NUL */
}

static int send_all(SOCKET s, const char *buf, int len)
{
    while (len > 0) {
        int n = send(s, buf, len, 0);
        if (n <= 0) return -1;
        buf += n;
        len -= n;
    }
    return 0;
}

/* A failure of the test's own plumbing, not of the tool under test: one line on stderr naming the step and
 * the thread's last error (Winsock keeps its errors there too: WSAGetLastError is GetLastError). */
static int plumbing(const char *step, int code)
{
    fprintf(stderr, "STANDIN-TOOL plumbing: %s failed (error %lu)\n", step, GetLastError());
    return code;
}

int main(void)
{
    static char msg[98304], reply[65536];
    wchar_t wide[32768];
    char port[16];
    int used = 0, got = 0, n = 0, code;
    WSADATA wsa;
    SOCKET s;
    struct sockaddr_in addr;
    DWORD len;
    char *body;

    if (!GetEnvironmentVariableA("CWPE_CHECK_PORT", port, sizeof port)) return plumbing("reading CWPE_CHECK_PORT", 97);
    len = GetModuleFileNameW(NULL, wide, 32768);
    wide[len < 32768 ? len : 32767] = 0;
    used += utf8(wide, msg + used, (int)sizeof msg - used);
    used += utf8(GetCommandLineW(), msg + used, (int)sizeof msg - used);
    GetCurrentDirectoryW(32768, wide);
    used += utf8(wide, msg + used, (int)sizeof msg - used);
    if (!GetEnvironmentVariableW(L"WINPE_URL", wide, 32768)) wide[0] = 0;
    used += utf8(wide, msg + used, (int)sizeof msg - used);

    if ((code = WSAStartup(MAKEWORD(2, 2), &wsa))) {
        SetLastError(code);
        return plumbing("WSAStartup", 98);
    }
    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s == INVALID_SOCKET) return plumbing("socket", 98);
    if (connect(s, (struct sockaddr *)&addr, sizeof addr)) return plumbing("connect", 98);
    if (send_all(s, msg, used)) return plumbing("send", 98);
    shutdown(s, SD_SEND);
    while (got < (int)sizeof reply - 1 && (n = recv(s, reply + got, (int)sizeof reply - 1 - got, 0)) > 0) got += n;
    if (n < 0) return plumbing("recv", 99);
    closesocket(s);
    reply[got] = 0;
    body = strchr(reply, '\n');
    if (!body) return plumbing("the checker's reply (no first line)", 99);
    *body++ = 0;
    code = atoi(reply);
    if (got > body - reply) {
        DWORD wrote;
        WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), body, (DWORD)(got - (body - reply)), &wrote, NULL);
    }
    return code;
}
