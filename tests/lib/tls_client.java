// SPDX-License-Identifier: BSD-3-Clause
// A TLS client on Java's JSSE for t_tls_live.sh: java tls_client.java ADDR
// PORT NAME. Sends NAME as the SNI and offers ALPN h2 and http/1.1,
// accepts any certificate, asks for / and prints the status line.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

public class TlsClient {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: tls_client ADDR PORT NAME");
            System.exit(2);
        }
        TrustManager[] any = { new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String t) { }
            public void checkServerTrusted(X509Certificate[] c, String t) { }
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        } };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, any, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(args[0],
                Integer.parseInt(args[1]))) {
            s.setSoTimeout(10000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(args[2])));
            p.setApplicationProtocols(new String[] { "h2", "http/1.1" });
            s.setSSLParameters(p);
            s.startHandshake();
            OutputStream o = s.getOutputStream();
            o.write(("GET / HTTP/1.1\r\nHost: " + args[2] + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            o.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                    StandardCharsets.US_ASCII));
            System.out.println(in.readLine());
        }
    }
}
