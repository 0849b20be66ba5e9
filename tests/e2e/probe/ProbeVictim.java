// ProbeVictim.java -- a small Java HTTP service (com.sun.net.httpserver) for
// the `defuse probe` tests.  It logs through log4j exactly these request
// parts, and no others:
//   header User-Agent, header X-Api-Version, header Host, query parameter q,
//   form-body parameter user (POST application/x-www-form-urlencoded),
//   multipart part user (POST multipart/form-data), XML element user
//   (POST application/xml)
// With log4j-core 2.14.1 each of them is exploitable; with a fixed log4j
// none is.  Usage: java -cp log4j-api.jar:log4j-core.jar:. ProbeVictim PORT
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

public class ProbeVictim {
    static final Logger log = LogManager.getLogger("victim");

    static String param(String query, String name) {
        if (query == null)
            return null;
        for (String kv : query.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0 && kv.substring(0, eq).equals(name))
                return URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
        }
        return null;
    }

    // the text of the part named name of a multipart/form-data body
    static String part(String body, String boundary, String name) {
        for (String p : body.split("--" + java.util.regex.Pattern.quote(boundary))) {
            int h = p.indexOf("\r\n\r\n");
            if (h < 0 || !p.substring(0, h).contains("name=\"" + name + "\""))
                continue;
            String v = p.substring(h + 4);
            return v.endsWith("\r\n") ? v.substring(0, v.length() - 2) : v;
        }
        return null;
    }

    // the text of the first <name> element of an XML body
    static String element(String body, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern
            .compile("<" + name + ">(.*?)</" + name + ">", java.util.regex.Pattern.DOTALL).matcher(body);
        if (!m.find())
            return null;
        return m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    }

    static void handle(HttpExchange ex) throws java.io.IOException {
        String ua = ex.getRequestHeaders().getFirst("User-Agent");
        String api = ex.getRequestHeaders().getFirst("X-Api-Version");
        String q = param(ex.getRequestURI().getRawQuery(), "q");
        String host = ex.getRequestHeaders().getFirst("Host");
        String user = null, mpUser = null, xmlUser = null;
        String ct = ex.getRequestHeaders().getFirst("Content-Type");
        try (InputStream in = ex.getRequestBody()) {
            String body = new String(in.readNBytes(65536), StandardCharsets.UTF_8);
            if (ct != null && ct.startsWith("application/x-www-form-urlencoded"))
                user = param(body, "user");
            if (ct != null && ct.startsWith("multipart/form-data; boundary="))
                mpUser = part(body, ct.substring(ct.indexOf('=') + 1), "user");
            if (ct != null && ct.startsWith("application/xml"))
                xmlUser = element(body, "user");
        }
        if (ua != null)
            log.error("request from agent {}", ua);
        if (api != null)
            log.error("api version {}", api);
        if (q != null)
            log.error("search {}", q);
        if (user != null)
            log.error("login {}", user);
        if (mpUser != null)
            log.error("upload by {}", mpUser);
        if (xmlUser != null)
            log.error("xml request by {}", xmlUser);
        if (host != null)
            log.error("virtual host {}", host);
        byte[] out = "ok\n".getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, out.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(out);
        }
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("com.sun.jndi.ldap.read.timeout", "3000");
        System.setProperty("com.sun.jndi.ldap.connect.timeout", "3000");
        System.setProperty("sun.rmi.transport.tcp.responseTimeout", "3000");
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 64);
        s.createContext("/", ex -> {
            try {
                handle(ex);
            } catch (Exception e) {
                ex.sendResponseHeaders(500, -1);
            } finally {
                ex.close();
            }
        });
        s.setExecutor(Executors.newFixedThreadPool(8));
        s.start();
        System.out.println("ready");
        System.out.flush();
    }
}
