/* Stand-in for a Windows console tool (net, wpeutil, setup, ...): asks a test's checker over loopback what to do.
 *
 * Sends, as UTF-8 separated by NUL bytes: the program's own file name, GetCommandLineW(), the current directory
 * and %WINPE_URL%; then prints the checker's reply after its first line (raw bytes to stdout) and exits with the
 * number on that first line.  The checker's TCP port is in %CWPE_CHECK_PORT%; without it the tool exits 97.
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

int main(void)
{
    static char msg[98304], reply[65536];
    wchar_t wide[32768];
    char port[16];
    int used = 0, got = 0, n, code;
    WSADATA wsa;
    SOCKET s;
    struct sockaddr_in addr;
    DWORD len;
    char *body;

    if (!GetEnvironmentVariableA("CWPE_CHECK_PORT", port, sizeof port)) return 97;
    len = GetModuleFileNameW(NULL, wide, 32768);
    wide[len < 32768 ? len : 32767] = 0;
    used += utf8(wide, msg + used, (int)sizeof msg - used);
    used += utf8(GetCommandLineW(), msg + used, (int)sizeof msg - used);
    GetCurrentDirectoryW(32768, wide);
    used += utf8(wide, msg + used, (int)sizeof msg - used);
    if (!GetEnvironmentVariableW(L"WINPE_URL", wide, 32768)) wide[0] = 0;
    used += utf8(wide, msg + used, (int)sizeof msg - used);

    if (WSAStartup(MAKEWORD(2, 2), &wsa)) return 98;
    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s == INVALID_SOCKET || connect(s, (struct sockaddr *)&addr, sizeof addr)) return 98;
    if (send_all(s, msg, used)) return 98;
    shutdown(s, SD_SEND);
    while (got < (int)sizeof reply - 1 && (n = recv(s, reply + got, (int)sizeof reply - 1 - got, 0)) > 0) got += n;
    closesocket(s);
    reply[got] = 0;
    body = strchr(reply, '\n');
    if (!body) return 99;
    *body++ = 0;
    code = atoi(reply);
    if (got > body - reply) {
        DWORD wrote;
        WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), body, (DWORD)(got - (body - reply)), &wrote, NULL);
    }
    return code;
}
