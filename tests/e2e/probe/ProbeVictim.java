// ProbeVictim.java -- a small Java HTTP service (com.sun.net.httpserver) for
// the `defuse probe` tests.  It logs through log4j exactly these request
// parts, and no others:
//   header User-Agent, header X-Api-Version, query parameter q,
//   form-body parameter user (POST application/x-www-form-urlencoded)
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

    static void handle(HttpExchange ex) throws java.io.IOException {
        String ua = ex.getRequestHeaders().getFirst("User-Agent");
        String api = ex.getRequestHeaders().getFirst("X-Api-Version");
        String q = param(ex.getRequestURI().getRawQuery(), "q");
        String user = null;
        String ct = ex.getRequestHeaders().getFirst("Content-Type");
        try (InputStream in = ex.getRequestBody()) {
            byte[] body = in.readNBytes(65536);
            if (ct != null && ct.startsWith("application/x-www-form-urlencoded"))
                user = param(new String(body, StandardCharsets.UTF_8), "user");
        }
        if (ua != null)
            log.error("request from agent {}", ua);
        if (api != null)
            log.error("api version {}", api);
        if (q != null)
            log.error("search {}", q);
        if (user != null)
            log.error("login {}", user);
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
