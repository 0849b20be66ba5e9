// Log4jVictim.java -- a real vulnerable application for the honeypot tests:
// logs its argument through log4j-core (2.14.1 from the corpus), which turns
// a ${jndi:...} payload into a JNDI lookup against the honeypot.
// Usage: java -cp log4j-api.jar:log4j-core.jar:. Log4jVictim MESSAGE
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

public class Log4jVictim {
    public static void main(String[] args) {
        System.setProperty("com.sun.jndi.ldap.read.timeout", "5000");
        System.setProperty("com.sun.jndi.ldap.connect.timeout", "5000");
        Logger log = LogManager.getLogger("victim");
        log.error(args[0]);
    }
}
