#!/usr/bin/python3
"""report_browser.py -- opens a `defuse report` page in headless Chromium
(chromedriver, python3-selenium) and checks it as a reader would see it.

usage: report_browser.py SHOTDIR PAGE EXPECT.json NAME [PAGE EXPECT.json NAME]...
(one browser for every page: its start-up is most of the time)

EXPECT.json: {"ids": {"n-findings": 123, ...},          DOM data-n by id
              "first_rows": {"top-sources": "203.0.113.77", ...},
              "rows": {"hp-listeners": {"web": 3, ...}},  table -> value -> count
              "absent": ["exposure"],                    sections not present
              "hostile": true}                           XSS checks
Checks: no console message of level SEVERE, no network request but the
page itself (Chrome DevTools performance log), load under 1 s, the numbers
read back from the DOM, screenshots at desktop and phone widths.
Exit 0 pass, 1 fail (messages on stderr).
"""
import json
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

shotdir = sys.argv[1]
jobs = [sys.argv[i:i + 3] for i in range(2, len(sys.argv), 3)]
fails = []


def fail(msg):
    fails.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


opts = Options()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--no-first-run", "--disable-extensions", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--disable-default-apps",
          "--window-size=1280,900"):
    opts.add_argument(a)
opts.binary_location = "/usr/bin/chromium"
opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def check(page, expect, name):
    drv.set_window_size(1280, 900)
    drv.get_log("browser")  # drop what earlier pages logged
    drv.get_log("performance")
    url = "file://" + os.path.abspath(page)
    drv.get(url)
    # 1. console: nothing at SEVERE (CSP violations, script errors)
    for e in drv.get_log("browser"):
        if e.get("level") == "SEVERE":
            fail("console: " + e.get("message", ""))
    # 2. network: the page itself and nothing else
    reqs = []
    for e in drv.get_log("performance"):
        m = json.loads(e["message"])["message"]
        if m.get("method") == "Network.requestWillBeSent":
            reqs.append(m["params"]["request"]["url"])
    others = [u for u in reqs if u != url]
    if others:
        fail("network requests besides the page: %r" % others[:5])
    if url not in reqs:
        fail("the performance log saw no request for the page itself (is it working?)")
    # 3. load time: the page's own cost, not the browser's start-up (the
    # first navigation of a fresh browser): the best of three reloads
    times = []
    for _ in range(3):
        drv.refresh()
        times.append(drv.execute_script("var n=performance.getEntriesByType('navigation')[0];"
                                        "return n ? n.loadEventEnd - n.startTime : -1;"))
    t = min(times)
    print("load: %.1f ms (reloads: %s)" % (t, ", ".join("%.0f" % x for x in times)))
    if not (0 <= t <= 1000):
        fail("load took %r ms (limit 1000)" % t)
    # 4. numbers read back from the DOM
    for id_, want in expect.get("ids", {}).items():
        els = drv.find_elements(By.ID, id_)
        if not els:
            fail("no element #%s" % id_)
            continue
        got = els[0].get_attribute("data-n")
        if got is None or int(got) != want:
            fail("#%s: data-n %r, expected %r (text %r)" % (id_, got, want, els[0].text))
    for tid, want in expect.get("first_rows", {}).items():
        cells = drv.find_elements(By.CSS_SELECTOR, "#%s tbody tr:first-child td.v" % tid)
        got = cells[0].get_attribute("textContent") if cells else None
        if got is None or got.replace(" internal", "").strip() != want:
            fail("#%s first row %r, expected %r" % (tid, got, want))
    for tid, want in expect.get("rows", {}).items():
        got = {}
        for tr in drv.find_elements(By.CSS_SELECTOR, "#%s tbody tr" % tid):
            v = tr.find_element(By.CSS_SELECTOR, "td.v").get_attribute("textContent")
            n = tr.find_element(By.CSS_SELECTOR, "td.n").get_attribute("data-n")
            got[v.replace(" internal", "").strip()] = int(n)
        if got != want:
            fail("#%s rows %r, expected %r" % (tid, got, want))
    for sid in expect.get("absent", []):
        if drv.find_elements(By.ID, sid):
            fail("section #%s present without its data" % sid)
    for sid in expect.get("present", []):
        if not drv.find_elements(By.ID, sid):
            fail("section #%s missing" % sid)
    # 5. hostile input stays text
    if expect.get("hostile"):
        if drv.execute_script("return typeof window.__pwned") != "undefined":
            fail("a payload ran: window.__pwned is set")
        n = drv.execute_script("return document.querySelectorAll('script,img,iframe,object,embed,"
                               "link,base,form,a[href],foreignObject,use,image,animate,set').length")
        if n:
            fail("%d active elements in the page" % n)
        n = drv.execute_script("var c=0;document.querySelectorAll('*').forEach(function(e){"
                               "for(var i=0;i<e.attributes.length;i++)"
                               "if(/^on/i.test(e.attributes[i].name))c++;});return c;")
        if n:
            fail("%d event-handler attributes in the page" % n)
        body = drv.execute_script("return document.body.textContent")
        if "<script>" not in body:
            fail("the hostile text is not shown as text")
    # 6. screenshots: full page at desktop and phone widths
    os.makedirs(shotdir, exist_ok=True)
    drv.set_window_size(390, 844)
    drv.save_screenshot(os.path.join(shotdir, "%s-phone-first-screen.png" % name))
    for label, width in (("desktop", 1280), ("phone", 390)):
        drv.set_window_size(width, 900)
        h = drv.execute_script("return document.documentElement.scrollHeight")
        drv.set_window_size(width, min(max(h, 600), 12000))
        path = os.path.join(shotdir, "%s-%s.png" % (name, label))
        drv.save_screenshot(path)
        print("screenshot: " + path)
        if label == "phone":
            over = drv.execute_script("return document.documentElement.scrollWidth > "
                                      "document.documentElement.clientWidth + 1")
            if over:
                fail("the page scrolls sideways at %d px" % width)


try:
    for page, expect_path, name in jobs:
        n = len(fails)
        check(page, json.load(open(expect_path)), name)
        print("%s: %s" % (name, "ok" if len(fails) == n else "FAILED"))
finally:
    drv.quit()
sys.exit(1 if fails else 0)
