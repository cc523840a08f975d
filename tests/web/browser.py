"""What the browser tests do with a page: open it, fill and send forms, read outcomes, keep screenshots."""

import time

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait


class Web:
    def __init__(self, driver, base, screenshots):
        self.driver = driver
        self.base = base
        self.screenshots = screenshots

    def reset(self):
        self.driver.get(self.base + "/web/static/app.css")
        self.driver.delete_all_cookies()

    def open(self, path, shot=None):
        self.driver.get(self.base + path)
        self.wait_ready()
        if shot:
            self.shot(shot)
        return self

    def wait_ready(self, timeout=30):
        WebDriverWait(self.driver, timeout).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )

    def shot(self, name):
        self.driver.save_screenshot(str(self.screenshots / f"{name}.png"))

    def find(self, css, within=None):
        return (within or self.driver).find_element(By.CSS_SELECTOR, css)

    def all(self, css, within=None):
        return (within or self.driver).find_elements(By.CSS_SELECTOR, css)

    def text(self, css="body"):
        return self.find(css).text

    def lang(self):
        return self.find("html").get_attribute("lang")

    def fill(self, form, values):
        """Fill a form's fields by name: text, textarea, select (by value) and checkboxes (bool)."""
        for name, value in values.items():
            field = self.find(f"[name='{name}']", form)
            if field.tag_name == "select":
                Select(field).select_by_value(value)
            elif field.get_attribute("type") == "checkbox":
                if field.is_selected() != bool(value):
                    field.click()
            elif field.get_attribute("type") in ("datetime-local", "date"):
                self.driver.execute_script("arguments[0].value = arguments[1]", field, value)
            else:
                field.clear()
                field.send_keys(str(value))
        return form

    def submit(self, form, values=None, shot=None):
        """Fill and send a form; waits for the next page."""
        if values:
            self.fill(form, values)
        old = self.find("html")
        self.find("button[type=submit]", form).click()
        # Chromium may answer mid-navigation with an inspector error: keep waiting for the new document
        WebDriverWait(self.driver, 60, ignored_exceptions=(WebDriverException,)).until(EC.staleness_of(old))
        self.wait_ready()
        if shot:
            self.shot(shot)
        return self

    def show_progress_then_send(self, form, shot=None):
        """Start a long form as a click would (its in-progress state shows), then send it natively."""
        self.driver.execute_script("arguments[0].dispatchEvent(new Event('submit', {cancelable: true}))", form)
        shown = self.find(".progress", form).is_displayed() and not self.find("button[type=submit]", form).is_enabled()
        if shot:
            self.shot(shot)
        old = self.find("html")
        self.driver.execute_script("arguments[0].submit()", form)
        WebDriverWait(self.driver, 120, ignored_exceptions=(WebDriverException,)).until(EC.staleness_of(old))
        self.wait_ready()
        return shown

    def outcome(self):
        """(code, text) of the page's outcome box: "ok" or the problem's code."""
        box = self.find("#outcome")
        return box.get_attribute("data-code"), box.text

    def sign_in(self, token, lang=None):
        self.open("/web/login" + (f"?lang={lang}" if lang else ""))
        self.submit(self.find("#login-form"), {"token": token})
        assert self.driver.current_url.endswith("/web/console"), self.driver.current_url
        return self

    def sign_out(self):
        try:
            self.find("#logout").click()
            self.wait_ready()
        except NoSuchElementException:
            pass
        self.driver.delete_all_cookies()


def until(check, timeout=60, interval=0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (AssertionError, NoSuchElementException, StaleElementReferenceException) as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout}s: {last!r}")
