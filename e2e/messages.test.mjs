// Conversation as the two people meet it, in two browser contexts: a message sent by one
// appears on the other's open page without a reload (Server-Sent Events), the thread says who
// waits for whom, and opening it is a read receipt the writer sees live. axe on every page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO, startServer, launchBrowser, newContext, login, pathOf, expectNoAxeViolations, screenshot,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('messages');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function submit(page, button) {
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    button.click(),
  ]);
  await page.waitForLoadState('load');
}

test('a message appears on the other person\'s open page without a reload', { timeout: 300_000 }, async () => {
  const contexts = [];
  const open = async () => {
    const c = await newContext(browser, server, { locale: 'en-GB' });
    contexts.push(c);
    return c.newPage();
  };
  try {
    const client = await open();
    await login(client, DEMO.client.username, '/me');
    await client.getByRole('link', { name: 'Messages', exact: true }).click();
    await client.waitForLoadState('load');
    await expectNoAxeViolations(client, 'client: messages');
    await client.locator('#subject').fill('Moving our meeting');
    await client.locator('#body').fill('Can we meet on Friday instead?');
    await submit(client, client.getByRole('button', { name: 'Send' }));
    const threadPath = pathOf(client);
    assert.match(threadPath, /^\/clients\/[^/]+\/messages\/[^/]+$/);
    assert.match(await client.locator('main').innerText(), /You can expect an answer by/);
    assert.match(await client.locator('#messages').innerText(), /Not read yet/);
    await expectNoAxeViolations(client, 'client: thread');

    // The counselor opens the thread: the client's page shows it as read, live.
    const counselor = await open();
    await login(counselor, DEMO.counselor.username, '/caseload');
    await counselor.goto(threadPath.split('/messages/')[0] + '/messages');
    assert.match(await counselor.locator('main').innerText(), /Waiting for an answer from the service since/);
    await expectNoAxeViolations(counselor, 'counselor: messages');
    await counselor.goto(threadPath);
    await counselor.locator('#messages').getByText('Can we meet on Friday instead?').waitFor();
    await client.locator('#messages').getByText(/Read \d{4}-/).waitFor({ timeout: 15_000 });

    // The counselor answers; it appears on the client's open page without a reload.
    const clientUrlBefore = client.url();
    let reloaded = false;
    client.on('framenavigated', (f) => { if (f === client.mainFrame()) reloaded = true; });
    await counselor.locator('#body').fill('Friday at ten works. See you then.');
    await submit(counselor, counselor.getByRole('button', { name: 'Send' }));
    await client.locator('#messages').getByText('Friday at ten works. See you then.').waitFor({ timeout: 15_000 });
    assert.equal(reloaded, false, 'the client\'s page was not reloaded');
    assert.equal(client.url(), clientUrlBefore);
    assert.match(await client.locator('#messages').innerText(), /You can answer when it suits you/);
    await expectNoAxeViolations(client, 'client: thread after a live update');
    await expectNoAxeViolations(counselor, 'counselor: thread');

    // An attachment round-trips: the client sends a PDF, the counselor downloads it rewritten
    // from its objects, without its document information.
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n2 0 obj << /Author (Kari Demo) >> endobj\ntrailer << /Root 1 0 R /Info 2 0 R >>\n%%EOF\n');
    await client.locator('#body').fill('Here is the letter from the landlord.');
    await client.locator('#attachment').setInputFiles({ name: 'letter.pdf', mimeType: 'application/pdf', buffer: pdf });
    await submit(client, client.getByRole('button', { name: 'Send' }));
    const link = counselor.locator('#messages a', { hasText: 'letter.pdf' });
    await link.waitFor({ timeout: 15_000 });
    const download = await counselor.context().request.get(await link.getAttribute('href'));
    assert.equal(download.status(), 200);
    assert.equal(download.headers()['content-type'], 'application/pdf');
    assert.match(download.headers()['content-disposition'], /^attachment;/);
    const back = Buffer.from(await download.body()).toString('latin1');
    assert.match(back, /^%PDF-1\.4\n/);
    assert.match(back, /\/Type\s*\/Catalog/);
    assert.doesNotMatch(back, /Author|Kari Demo/, 'the document information is gone');

    // A disguised file is refused with a message, and the text is kept.
    await client.locator('#body').fill('And my ID card.');
    await client.locator('#attachment').setInputFiles({ name: 'id.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ\x90\x00 not a pdf') });
    await submit(client, client.getByRole('button', { name: 'Send' }));
    assert.match(await client.locator('[role="alert"]').innerText(), /Only PDF, PNG and JPEG files/);
    assert.equal(await client.locator('#body').inputValue(), 'And my ID card.');
    await expectNoAxeViolations(client, 'client: refused attachment');

    // A draft survives a reload, and is gone once sent.
    await client.goto(threadPath);
    const saved = client.waitForResponse((r) => r.url().endsWith('/draft') && r.request().method() === 'POST');
    await client.locator('#body').fill('Half an answer, to be continued');
    assert.equal((await saved).status(), 204);
    await client.reload();
    assert.equal(await client.locator('#body').inputValue(), 'Half an answer, to be continued');
    await submit(client, client.getByRole('button', { name: 'Send' }));
    await client.goto(threadPath);
    assert.equal(await client.locator('#body').inputValue(), '', 'the draft went with the message');
  } catch (e) {
    for (const [i, c] of contexts.entries()) {
      for (const p of c.pages()) await screenshot(p, `messages-failure-${i}`);
    }
    throw e;
  } finally {
    for (const c of contexts) await c.close();
  }
});

// --- Photos with their position hidden where a simple cleaner does not look ---------------

const GPS_TEXT = 'GPS-PROBE 59.9139N 10.7522E';

/** One JPEG marker segment. */
function segment(marker, data) {
  const len = data.length + 2;
  return Buffer.concat([Buffer.from([0xff, marker, len >> 8, len & 0xff]), data]);
}

/** EXIF (big-endian TIFF) with a GPS IFD whose processing method spells out GPS_TEXT. */
function exifApp1() {
  const method = Buffer.concat([Buffer.from('ASCII\0\0\0', 'latin1'), Buffer.from(GPS_TEXT, 'latin1')]);
  const t = Buffer.alloc(38 + 2 + 12 + 4 + method.length);
  t.write('MM\0\x2a', 0, 'latin1');
  t.writeUInt32BE(8, 4);
  t.writeUInt16BE(1, 8); // IFD0: the GPS pointer only
  t.writeUInt16BE(0x8825, 10); t.writeUInt16BE(4, 12); t.writeUInt32BE(1, 14); t.writeUInt32BE(26, 18);
  t.writeUInt32BE(0, 22);
  t.writeUInt16BE(1, 26); // the GPS IFD: the processing method
  t.writeUInt16BE(0x001b, 28); t.writeUInt16BE(7, 30); t.writeUInt32BE(method.length, 32); t.writeUInt32BE(44, 36);
  t.writeUInt32BE(0, 40);
  method.copy(t, 44);
  return segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), t.subarray(0, 44 + method.length)]));
}

function xmpApp1() {
  return segment(0xe1, Buffer.from(
    `http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">`
    + `<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="59,54.835N" exif:GPSProcessingMethod="${GPS_TEXT}"/>`
    + '</rdf:RDF></x:xmpmeta>', 'latin1'));
}

/** A 16 × 8 grey progressive JPEG, made by hand: a DC scan and an AC scan, XMP and EXIF between them. */
function progressiveJpeg() {
  const table = (cls) => segment(0xc4, Buffer.from([cls, 1, ...Array(15).fill(0), 0x00])); // one code, "0"
  const scan = (ss, se) => Buffer.concat([segment(0xda, Buffer.from([1, 1, 0x00, ss, se, 0])), Buffer.from([0x3f])]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xdb, Buffer.from([0, ...Array(64).fill(1)])),
    segment(0xc2, Buffer.from([8, 0, 8, 0, 16, 1, 1, 0x11, 0])),
    table(0x00), table(0x10),
    scan(0, 0),
    xmpApp1(), exifApp1(),
    scan(1, 63),
    Buffer.from([0xff, 0xd9]),
  ]);
}

test('a photo with GPS in an appended image and in a progressive scan comes back without it', { timeout: 300_000 }, async () => {
  const context = await newContext(browser, server, { locale: 'en-GB' });
  const counselorContext = await newContext(browser, server, { locale: 'en-GB' });
  try {
    const client = await context.newPage();
    await login(client, DEMO.client.username, '/me');
    await client.getByRole('link', { name: 'Messages', exact: true }).click();
    await client.waitForLoadState('load');
    // A baseline JPEG from the browser's own encoder, with EXIF and XMP in its header and a
    // second picture with its own appended after it (as phones write multi-picture files).
    const baseline = Buffer.from(await client.evaluate(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 64; canvas.height = 48;
      const g = canvas.getContext('2d');
      const gradient = g.createLinearGradient(0, 0, 64, 48);
      gradient.addColorStop(0, '#204080'); gradient.addColorStop(1, '#e0a030');
      g.fillStyle = gradient; g.fillRect(0, 0, 64, 48);
      return canvas.toDataURL('image/jpeg', 0.9).split(',')[1];
    }), 'base64');
    const withMetadata = Buffer.concat([baseline.subarray(0, 2), exifApp1(), xmpApp1(), baseline.subarray(2)]);
    const photo = Buffer.concat([withMetadata, withMetadata]);
    const scan = progressiveJpeg();
    for (const file of [photo, scan]) assert.ok(file.includes(GPS_TEXT), 'the test files carry the position');

    await client.locator('#subject').fill('Photos of the flat');
    await client.locator('#body').fill('Two photos.');
    await client.locator('#attachment').setInputFiles([
      { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: photo },
      { name: 'scan.jpg', mimeType: 'image/jpeg', buffer: scan },
    ]);
    await submit(client, client.getByRole('button', { name: 'Send' }));
    const threadPath = pathOf(client);
    assert.match(threadPath, /^\/clients\/[^/]+\/messages\/[^/]+$/, await client.locator('main').innerText());

    const counselor = await counselorContext.newPage();
    await login(counselor, DEMO.counselor.username, '/caseload');
    await counselor.goto(threadPath);
    for (const [name, size] of [['photo.jpg', [64, 48]], ['scan.jpg', [16, 8]]]) {
      const href = await counselor.locator('#messages a', { hasText: name }).getAttribute('href');
      const download = await counselorContext.request.get(href);
      assert.equal(download.status(), 200);
      assert.equal(download.headers()['content-type'], 'image/jpeg');
      const bytes = Buffer.from(await download.body());
      for (const needle of ['Exif', 'http://ns.adobe.com/xap', '<x:xmpmeta', 'GPSLatitude', GPS_TEXT]) {
        assert.ok(!bytes.includes(needle), `${name}: ${needle} is still in the file`);
      }
      // The browser shows the picture, at its size.
      const shown = await counselor.evaluate(async (b64) => {
        const blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/jpeg' });
        const bitmap = await createImageBitmap(blob);
        return [bitmap.width, bitmap.height];
      }, bytes.toString('base64'));
      assert.deepEqual(shown, size, name);
    }
  } finally {
    await context.close();
    await counselorContext.close();
  }
});
