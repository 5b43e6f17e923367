// The desk console's story in a real browser (Debian's chromium driven by
// playwright-core), run by tests/tests/console_browser.rs against a real server.
//
// Input: the path of a JSON file {base, shots, out, caseId, photo, people: {ROLE:
// {code, login}}}. Each person sets a password with their one-time code and signs in
// in a browser context of their own. Then: community staff calls the case in to the
// street; the street officer assigns it to the police; the police officer accepts it
// and rectifies it with a photo; the community staff verifies it; the dashboard is read
// before and after; the supervisor plans a spot check from a seeded sample. Along the way: a refusal shows the model's reason, a person outside
// the area gets "not found", the language switch, sign-out, and a screenshot of every
// page at 1366x768 and at 360 px wide. Output (to `out`): the dashboard's numbers.
// Any failed expectation throws: the process exits non-zero and the test fails.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const PASSWORD = 'desk-password-2026';
const DESKTOP = { width: 1366, height: 768 };
const PHONE = { width: 360, height: 740 };

function expect(condition, message) {
  if (!condition) throw new Error('expectation failed: ' + message);
}

async function shot(page, name) {
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: path.join(config.shots, name + '-1366.png'), fullPage: true });
  await page.setViewportSize(PHONE);
  // Nothing may stick out sideways on a phone.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow <= 1, `${name} is ${overflow}px wider than a 360px phone`);
  await page.screenshot({ path: path.join(config.shots, name + '-360.png'), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

async function text(page, selector) {
  return (await page.locator(selector).first().textContent()).trim();
}

// Sets the person's password with their one-time code, then signs in.
async function signIn(browser, who, locale, shots) {
  const person = config.people[who];
  const context = await browser.newContext({ locale, viewport: DESKTOP });
  const page = await context.newPage();
  await page.goto(config.base + '/console/password');
  if (shots) await shot(page, '01-password');
  await page.fill('#code', person.code);
  await page.fill('#login', person.login);
  await page.fill('#password', PASSWORD);
  await page.fill('#password_again', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/console\/signin\?why=password-set/);
  expect(await page.locator('#message').count() === 1, `${who}: the password-set message`);
  if (shots) await shot(page, '02-signin');
  await page.fill('#login', person.login);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/console\/queue/);
  return { context, page };
}

async function openCase(page) {
  await page.goto(config.base + '/console/queue');
  const row = page.locator(`tr[data-case="${config.caseId}"]`);
  expect(await row.count() === 1, 'the case is in the queue');
  await row.locator('a').click();
  await page.waitForURL(new RegExp('/console/cases/' + config.caseId));
}

// Submits the form of one allowed action, after `fill` fills it in.
async function act(page, action, fill) {
  const form = page.locator(`form[data-action="${action}"]`);
  expect(await form.count() === 1, `the action ${action} is offered`);
  if (fill) await fill(form);
  await form.locator('textarea[name=note]').fill(`${action} from the console`);
  await form.locator('button[type=submit]').click();
  await page.waitForURL(/done=1/);
  expect(await page.locator('#done').count() === 1, `${action} was recorded`);
}

async function dashboard(page) {
  await page.goto(config.base + '/console/dashboard');
  return page.evaluate(() => {
    const out = {};
    for (const cell of document.querySelectorAll('[data-row][data-col]')) {
      out[cell.dataset.row + '.' + cell.dataset.col] = cell.textContent.trim();
    }
    return out;
  });
}

(async () => {
  fs.mkdirSync(config.shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: config.chromium,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  try {
    // Community staff: Chinese by default (the browser asks for Chinese).
    const staff = await signIn(browser, 'staff', 'zh-CN', true);
    expect(await staff.page.getAttribute('html', 'lang') === 'zh-CN', 'Chinese by default');
    expect((await text(staff.page, 'h1')) === '本社区上报的隐患', 'the community queue heading');
    await shot(staff.page, '03-queue');
    const before = await dashboard(staff.page);
    await shot(staff.page, '04-dashboard-before');
    await openCase(staff.page);
    await shot(staff.page, '05-case-reported');
    // A refusal shows the model's reason: community staff cannot assign a department.
    await staff.page.evaluate(() => {
      const form = document.querySelector('form[data-action="called-in"]');
      form.querySelector('input[name=action]').value = 'assigned';
      const dept = document.createElement('input');
      dept.name = 'department'; dept.value = 'police'; dept.type = 'hidden';
      form.appendChild(dept);
      form.submit();
    });
    await staff.page.waitForSelector('#refused');
    const refusal = await text(staff.page, '#refused');
    expect(/cannot assign/.test(refusal), 'the refusal names the rule: ' + refusal);
    await shot(staff.page, '06-case-refused');
    await act(staff.page, 'called-in', (form) => form.locator('select[name=level]').selectOption('street'));

    // The street officer sees it in the street's queue and calls in the police.
    const street = await signIn(browser, 'street', 'zh-CN', false);
    await openCase(street.page);
    await act(street.page, 'assigned', (form) => form.locator('select[name=department]').selectOption('police'));
    expect((await text(street.page, '#department')) === '公安', 'assigned to the police');

    // The police officer accepts and rectifies with a photo (English this time).
    const police = await signIn(browser, 'police', 'en-US', false);
    expect(await police.page.getAttribute('html', 'lang') === 'en', 'English from Accept-Language');
    expect((await text(police.page, 'h1')) === 'Hazards assigned to your department', 'the department queue');
    await openCase(police.page);
    await act(police.page, 'accepted');
    await act(police.page, 'rectified', (form) => form.locator('input[name=photo]').setInputFiles(config.photo));
    expect(await police.page.locator('#rectification img').count() === 1, 'the photo of the fix is shown');
    const photo = await police.page.locator('#rectification img').first().evaluate((img) => img.naturalWidth);
    expect(photo > 0, 'the photo of the fix loads');
    await shot(police.page, '07-case-rectified');

    // The community staff verifies the fix.
    await openCase(staff.page).catch(async () => {
      // Verified cases leave the open queue; until then the case is there.
      throw new Error('the rectified case is not in the community queue');
    });
    await act(staff.page, 'verified');
    expect((await text(staff.page, '#status')) === '已核查', 'the case is verified');
    await shot(staff.page, '08-case-verified');
    // Nothing is left for the police to fix: only what the model still allows them.
    await police.page.goto(config.base + '/console/cases/' + config.caseId);
    for (const gone of ['accepted', 'rectified']) {
      expect(await police.page.locator(`form[data-action="${gone}"]`).count() === 0, `no ${gone} for the police now`);
    }

    // Someone outside the area does not see the case.
    const outsider = await signIn(browser, 'outsider', 'zh-CN', false);
    expect(await outsider.page.locator(`tr[data-case="${config.caseId}"]`).count() === 0, 'not in another community\'s queue');
    const response = await outsider.page.goto(config.base + '/console/cases/' + config.caseId);
    expect(response.status() === 404, 'another community gets 404, got ' + response.status());

    // The dashboard moved; the supervisor reads it, in both languages.
    const supervisor = await signIn(browser, 'supervisor', 'zh-CN', false);
    const after = await dashboard(supervisor.page);
    await shot(supervisor.page, '09-dashboard-after');
    await supervisor.page.click('#lang-switch');
    await supervisor.page.waitForLoadState();
    expect(await supervisor.page.getAttribute('html', 'lang') === 'en', 'the switch turns to English');
    await shot(supervisor.page, '10-dashboard-english');
    await supervisor.page.goto(config.base + '/console/dashboard?unit=s-hehua');
    await shot(supervisor.page, '11-dashboard-street');

    // The supervisor plans an unannounced visit in Li Na's grid: the seed's sample, shown
    // again for the same seed, then planned (the test checks the worker's sync).
    await supervisor.page.click('#nav-spot-checks');
    await supervisor.page.waitForURL(/spot-checks/);
    await supervisor.page.selectOption('#area', 'g-xinhua-1');
    await supervisor.page.fill('#count', '1');
    await supervisor.page.fill('#seed', '20261130');
    await supervisor.page.check('input[name=sensitive]');
    await supervisor.page.click('#draw button[type=submit]');
    await supervisor.page.waitForSelector('#sample');
    expect(await text(supervisor.page, '#seed-shown') === '20261130', 'the seed is shown');
    const drawn = await supervisor.page.getAttribute('#sample tbody tr', 'data-site');
    await shot(supervisor.page, '12-spot-check-sample');
    await supervisor.page.click('#plan button[type=submit]');
    await supervisor.page.waitForSelector('#planned');
    expect(await supervisor.page.locator('#plans li').count() === 1, 'the plan is listed');
    await shot(supervisor.page, '13-spot-check-planned');
    await supervisor.page.click('#nav-discrepancies');
    await supervisor.page.waitForURL(/discrepancies/);
    await shot(supervisor.page, '14-discrepancies');

    // Signing out ends the session: the queue sends to the sign-in page.
    await staff.page.click('header form button[type=submit]');
    await staff.page.waitForURL(/why=out/);
    await staff.page.goto(config.base + '/console/queue');
    expect(/\/console\/signin/.test(staff.page.url()), 'signed out: back to sign-in');

    fs.writeFileSync(config.out, JSON.stringify({ before, after, spotCheckSite: drawn }, null, 2));
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
