// JndiClient.java -- a real JNDI client for the honeypot end-to-end tests.
// Usage: java JndiClient URL
// Looks URL up with new InitialContext().lookup(URL), as log4j's JndiManager
// does.  Prints one line and exits:
//   0  "NAMING_EXCEPTION <class>: <message>"  (the honeypot's intended outcome)
//   3  "OBJECT <class>"                       (the honeypot served an object: failure)
//   4  "OTHER <class>: <message>"             (anything else)
import javax.naming.InitialContext;
import javax.naming.NamingException;

public class JndiClient {
    public static void main(String[] args) {
        // Never hang a test: bound every read.
        System.setProperty("com.sun.jndi.ldap.read.timeout", "5000");
        System.setProperty("com.sun.jndi.ldap.connect.timeout", "5000");
        System.setProperty("sun.rmi.transport.tcp.responseTimeout", "5000");
        System.setProperty("sun.rmi.transport.connectionTimeout", "5000");
        try {
            Object o = new InitialContext().lookup(args[0]);
            System.out.println("OBJECT " + (o == null ? "null" : o.getClass().getName()));
            System.exit(3);
        } catch (NamingException e) {
            System.out.println("NAMING_EXCEPTION " + e.getClass().getName() + ": " + e.getMessage());
            System.exit(0);
        } catch (Throwable t) {
            System.out.println("OTHER " + t.getClass().getName() + ": " + t.getMessage());
            System.exit(4);
        }
    }
}
