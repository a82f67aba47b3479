//! Attachments through the real router and a real SQLite store: what is uploaded comes back
//! rebuilt from its content, with nothing but the picture or the document. Every test file is
//! made here: JPEGs with EXIF, XMP and GPS where phones put them (in the header, in a second
//! image appended after the first, as multi-picture files do, and between the scans of a
//! progressive JPEG), PNGs with text chunks, PDFs with document information and XMP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, TestApp};
use http::{StatusCode, header};
use std::io::Cursor;
use testkit::world::users;

async fn english(app: &TestApp, who: &str) -> Browser {
    let mut b = app.login(who).await;
    b.accept_language = Some("en".into());
    b
}

const WIDTH: u32 = 64;
const HEIGHT: u32 = 48;

/// A picture with something in it (a gradient), so its scans hold real data.
fn pixels() -> image::RgbImage {
    image::RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x + y) * 2) as u8])
    })
}

/// A baseline JPEG of [`pixels`], as plain as an encoder writes it.
fn baseline_jpeg() -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&pixels())
        .unwrap();
    out
}

/// A progressive JPEG of [`pixels`] (several scans).
fn progressive_jpeg() -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = jpeg_encoder::Encoder::new(&mut out, 90);
    e.set_progressive(true);
    e.encode(
        pixels().as_raw(),
        WIDTH as u16,
        HEIGHT as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    out
}

/// One JPEG marker segment.
fn segment(marker: u8, data: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&((data.len() + 2) as u16).to_be_bytes());
    s.extend_from_slice(data);
    s
}

/// The coordinates the tests look for (Oslo), written in GPS tags and XMP.
const GPS_TEXT: &str = "GPS-PROBE 59.9139N 10.7522E";

/// An EXIF APP1 segment (big-endian TIFF): orientation, and a GPS IFD with latitude,
/// longitude and a processing method that spells out [`GPS_TEXT`].
fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut t: Vec<u8> = b"MM\x00\x2A\x00\x00\x00\x08".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend_from_slice(&tag.to_be_bytes());
        t.extend_from_slice(&kind.to_be_bytes());
        t.extend_from_slice(&count.to_be_bytes());
        t.extend_from_slice(&value);
    };
    // IFD0 at 8: two entries, then the next-IFD offset; the GPS IFD follows at 8 + 2 + 24 + 4.
    let gps_ifd: u32 = 38;
    t.extend_from_slice(&2u16.to_be_bytes());
    let [o0, o1] = orientation.to_be_bytes();
    entry(&mut t, 0x0112, 3, 1, [o0, o1, 0, 0]);
    entry(&mut t, 0x8825, 4, 1, gps_ifd.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    // The GPS IFD: five entries; its data after it.
    let data_at = gps_ifd + 2 + 5 * 12 + 4;
    let method = [b"ASCII\0\0\0".as_slice(), GPS_TEXT.as_bytes()].concat();
    t.extend_from_slice(&5u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, 5, 3, data_at.to_be_bytes());
    entry(&mut t, 0x0003, 2, 2, *b"E\0\0\0");
    entry(&mut t, 0x0004, 5, 3, (data_at + 24).to_be_bytes());
    entry(
        &mut t,
        0x001B,
        7,
        method.len() as u32,
        (data_at + 48).to_be_bytes(),
    );
    t.extend_from_slice(&0u32.to_be_bytes());
    for (n, d) in [
        (59u32, 1u32),
        (54, 1),
        (5017, 100),
        (10, 1),
        (45, 1),
        (751, 100),
    ] {
        t.extend_from_slice(&n.to_be_bytes());
        t.extend_from_slice(&d.to_be_bytes());
    }
    t.extend_from_slice(&method);
    segment(0xE1, &[b"Exif\0\0".as_slice(), &t].concat())
}

/// An XMP APP1 segment with the position.
fn xmp_app1() -> Vec<u8> {
    let xmp = format!(
        "http://ns.adobe.com/xap/1.0/\0<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
         <rdf:Description xmlns:exif=\"http://ns.adobe.com/exif/1.0/\" exif:GPSLatitude=\"59,54.835N\" \
         exif:GPSLongitude=\"10,45.132E\" exif:GPSProcessingMethod=\"{GPS_TEXT}\"/></rdf:RDF></x:xmpmeta>\
         <?xpacket end='w'?>"
    );
    segment(0xE1, xmp.as_bytes())
}

/// `jpeg` with `segments` right after its start-of-image marker.
fn with_header_segments(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    for s in segments {
        out.extend_from_slice(s);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Where the start-of-scan markers are (outside a segment, `FF DA` is always a marker: the
/// compressed data stuffs every `FF` with `00`).
fn scan_starts(jpeg: &[u8]) -> Vec<usize> {
    (0..jpeg.len() - 1)
        .filter(|&i| jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA)
        .collect()
}

/// What a phone may write: EXIF with GPS and XMP in the header, and a second picture appended
/// after the first (multi-picture format: an APP2 `MPF` segment points at it) that carries
/// EXIF, XMP and GPS of its own.
fn jpeg_with_appended_image() -> Vec<u8> {
    let mpf = segment(0xE2, b"MPF\0MM\x00\x2A\x00\x00\x00\x08\x00\x00");
    let first = with_header_segments(&baseline_jpeg(), &[exif_app1(1), xmp_app1(), mpf]);
    let second = with_header_segments(&baseline_jpeg(), &[exif_app1(1), xmp_app1()]);
    [first, second].concat()
}

/// A progressive JPEG with XMP and EXIF (with GPS) between its first and second scan, where
/// a cleaner that stops at the first scan does not look.
fn progressive_jpeg_with_metadata_between_scans() -> Vec<u8> {
    let jpeg = progressive_jpeg();
    let starts = scan_starts(&jpeg);
    assert!(starts.len() > 1, "a progressive JPEG has several scans");
    let at = starts[1];
    [
        &jpeg[..at],
        xmp_app1().as_slice(),
        exif_app1(1).as_slice(),
        &jpeg[at..],
    ]
    .concat()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// No EXIF, no XMP and no GPS anywhere in the bytes.
fn assert_no_metadata(bytes: &[u8], what: &str) {
    for needle in [
        b"Exif".as_slice(),
        b"http://ns.adobe.com/xap",
        b"<x:xmpmeta",
        b"xpacket",
        b"GPSLatitude",
        GPS_TEXT.as_bytes(),
        b"59.9139",
        b"MPF\0",
        // The GPS IFD pointer (tag 0x8825, type LONG) and the GPS latitude entry.
        &[0x88, 0x25, 0x00, 0x04],
        &[0x00, 0x02, 0x00, 0x05, 0x00, 0x00, 0x00, 0x03],
    ] {
        assert!(
            !contains(bytes, needle),
            "{what}: {:?} is still in the file",
            String::from_utf8_lossy(needle)
        );
    }
}

/// Sends `files` as the client in a new thread and returns what the counselor downloads.
async fn round_trip(app: &TestApp, files: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
    let owner = app.world.owner_client;
    let mut client = english(app, users::OWNER_CLIENT).await;
    let r = app
        .post_files(
            &mut client,
            &format!("/clients/{owner}/messages"),
            &[("subject", "Photos"), ("body", "Here they are.")],
            files,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let thread = r.location().unwrap().split('#').next().unwrap().to_string();
    let mut counselor = english(app, users::ASSIGNED_COUNSELOR).await;
    let page = app.get(&mut counselor, &thread).await;
    let prefix = format!("/clients/{owner}/attachments/");
    let links: Vec<String> = page
        .body
        .split(&prefix)
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect();
    assert_eq!(links.len(), files.len(), "{}", page.body);
    let mut out = vec![];
    for link in links {
        let (status, headers, bytes) = app
            .get_bytes(&mut counselor, &format!("{prefix}{link}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        out.push((
            headers[header::CONTENT_TYPE].to_str().unwrap().to_string(),
            bytes,
        ));
    }
    out
}

fn dimensions(bytes: &[u8]) -> (u32, u32) {
    let img = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .unwrap()
        .decode()
        .unwrap();
    (img.width(), img.height())
}

#[tokio::test]
async fn a_jpeg_with_gps_in_an_appended_image_and_between_progressive_scans_comes_back_without_any()
{
    let appended = jpeg_with_appended_image();
    let progressive = progressive_jpeg_with_metadata_between_scans();
    // The test files are what they claim: they decode, and carry the metadata.
    for file in [&appended, &progressive] {
        assert_eq!(dimensions(file), (WIDTH, HEIGHT));
        assert!(contains(file, GPS_TEXT.as_bytes()) && contains(file, b"<x:xmpmeta"));
    }
    assert!(
        scan_starts(&appended).len() == 2
            && contains(&appended[scan_starts(&appended)[0]..], b"Exif"),
        "the appended image's EXIF comes after the first scan"
    );
    assert!(contains(
        &progressive[scan_starts(&progressive)[0]..],
        b"http://ns.adobe.com/xap"
    ));

    let app = TestApp::new().await;
    let back = round_trip(
        &app,
        &[("photo.jpg", &appended), ("scan.jpeg", &progressive)],
    )
    .await;
    for (what, (content_type, bytes)) in ["appended", "progressive"].iter().zip(&back) {
        assert_eq!(content_type, "image/jpeg");
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "{what}: a JPEG");
        assert_no_metadata(bytes, what);
        assert_eq!(dimensions(bytes), (WIDTH, HEIGHT), "{what}");
        assert_eq!(scan_starts(bytes).len(), 1, "{what}: one picture, one scan");
    }
}

#[tokio::test]
async fn a_photo_keeps_its_orientation_without_its_exif() {
    // Orientation 6: the camera was turned; shown rotated 90° clockwise.
    let turned = with_header_segments(&baseline_jpeg(), &[exif_app1(6)]);
    let app = TestApp::new().await;
    let back = round_trip(&app, &[("turned.jpg", &turned)]).await;
    assert_no_metadata(&back[0].1, "turned");
    assert_eq!(dimensions(&back[0].1), (HEIGHT, WIDTH), "turned upright");
}

/// A CRC-32 (the one PNG uses), so the test PNGs are valid.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    c.extend_from_slice(&crc32(&[kind.as_slice(), data].concat()).to_be_bytes());
    c
}

/// A PNG of [`pixels`] with text, XMP and EXIF (GPS) chunks after its header.
fn png_with_metadata() -> Vec<u8> {
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(pixels())
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let ihdr_end = 8 + 12 + 13;
    let exif = exif_app1(1);
    [
        &png[..ihdr_end],
        &png_chunk(b"tEXt", format!("Location\0{GPS_TEXT}").as_bytes()),
        &png_chunk(
            b"iTXt",
            [b"XML:com.adobe.xmp\0\0\0\0\0".as_slice(), &xmp_app1()[4..]]
                .concat()
                .as_slice(),
        ),
        &png_chunk(b"eXIf", &exif[10..]),
        &png[ihdr_end..],
    ]
    .concat()
}

#[tokio::test]
async fn a_png_comes_back_as_pixels_only() {
    let png = png_with_metadata();
    assert_eq!(dimensions(&png), (WIDTH, HEIGHT));
    let app = TestApp::new().await;
    let back = round_trip(&app, &[("screenshot.png", &png)]).await;
    assert_eq!(back[0].0, "image/png");
    assert!(back[0].1.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_no_metadata(&back[0].1, "png");
    for chunk in [b"tEXt", b"iTXt", b"eXIf", b"zTXt", b"tIME"] {
        assert!(!contains(&back[0].1, chunk), "{:?}", chunk);
    }
    let before = image::load_from_memory(&png).unwrap().to_rgb8();
    let after = image::load_from_memory(&back[0].1).unwrap().to_rgb8();
    assert_eq!(before, after, "a PNG keeps its exact pixels");
}

/// A PNG whose header promises 20,000 × 20,000 pixels (1.6 GB to decode) in a few bytes.
fn png_bomb() -> Vec<u8> {
    let mut ihdr = 20_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&20_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    [
        b"\x89PNG\r\n\x1a\n".as_slice(),
        &png_chunk(b"IHDR", &ihdr),
        &png_chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]),
        &png_chunk(b"IEND", &[]),
    ]
    .concat()
}

/// A JPEG whose frame header says 60,000 × 60,000 pixels.
fn jpeg_bomb() -> Vec<u8> {
    let jpeg = baseline_jpeg();
    let sof = (0..jpeg.len() - 1)
        .find(|&i| jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0)
        .unwrap();
    let mut j = jpeg.clone();
    j[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    j
}

#[tokio::test]
async fn pictures_that_would_unpack_into_too_many_pixels_are_refused_with_a_clear_message() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let before = app.audit_count().await;
    for (name, bytes) in [("huge.png", png_bomb()), ("huge.jpg", jpeg_bomb())] {
        let r = app
            .post_files(
                &mut client,
                &format!("/clients/{owner}/messages"),
                &[("subject", "Photo"), ("body", "A big one.")],
                &[(name, &bytes)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(
            r.body.contains("The picture has too many pixels"),
            "{name}: {}",
            r.body
        );
        assert!(r.body.contains("A big one."), "{name}: the text is kept");
    }
    // A file that only looks like a JPEG.
    let r = app
        .post_files(
            &mut client,
            &format!("/clients/{owner}/messages"),
            &[("subject", "Photo"), ("body", "Broken.")],
            &[("broken.jpg", &baseline_jpeg()[..200])],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Only PDF, PNG and JPEG files"),
        "{}",
        r.body
    );
    assert_eq!(app.audit_count().await, before, "nothing was stored");
}

const AUTHOR: &str = "Kari Nordmann";
const TITLE: &str = "Husleie Storgata 1";

/// A one-page PDF with document information (author, title, producer, dates) and XMP
/// metadata on the document and on the page, saved by lopdf; `modern` puts the objects in
/// compressed object streams. Text after the end marker says who wrote it too.
fn pdf_with_metadata(modern: bool) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let content = doc.add_object(Stream::new(
        dictionary! {},
        b"BT /F1 12 Tf 72 712 Td (Hei Vera, her er brevet.) Tj ET".to_vec(),
    ));
    let xmp = format!(
        "<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" \
         dc:creator=\"{AUTHOR}\" xmp:CreatorTool=\"{GPS_TEXT}\"/></rdf:RDF></x:xmpmeta><?xpacket end='w'?>"
    );
    let page_xmp = doc.add_object(Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        xmp.clone().into_bytes(),
    ));
    let page = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content,
        "Metadata" => page_xmp,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
        }),
    );
    let metadata = doc.add_object(Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        xmp.into_bytes(),
    ));
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog", "Pages" => pages_id, "Metadata" => metadata,
    });
    let info = doc.add_object(dictionary! {
        "Author" => Object::string_literal(AUTHOR),
        "Title" => Object::string_literal(TITLE),
        "Producer" => Object::string_literal(GPS_TEXT),
        "CreationDate" => Object::string_literal("D:20260302101500+01'00'"),
    });
    doc.trailer.set("Root", catalog);
    doc.trailer.set("Info", info);
    let mut out = Vec::new();
    if modern {
        doc.save_modern(&mut out).unwrap();
    } else {
        doc.save_to(&mut out).unwrap();
    }
    out.extend_from_slice(format!("\n% written by {AUTHOR}\n").as_bytes());
    out
}

/// Everything a PDF holds, with its streams unpacked.
fn pdf_text(bytes: &[u8]) -> Vec<u8> {
    let doc = lopdf::Document::load_mem(bytes).unwrap();
    let mut all = format!("{:?}", doc.trailer).into_bytes();
    for object in doc.objects.values() {
        all.extend_from_slice(format!("{object:?}").as_bytes());
        if let Ok(s) = object.as_stream() {
            all.extend(
                s.decompressed_content()
                    .unwrap_or_else(|_| s.content.clone()),
            );
        }
    }
    all
}

#[tokio::test]
async fn a_pdf_comes_back_without_document_information_or_xmp() {
    let plain = pdf_with_metadata(false);
    let modern = pdf_with_metadata(true);
    for pdf in [&plain, &modern] {
        let text = pdf_text(pdf);
        assert!(contains(&text, AUTHOR.as_bytes()) && contains(&text, b"<x:xmpmeta"));
    }
    assert!(
        contains(&plain, TITLE.as_bytes()),
        "the plain one says it openly"
    );
    let app = TestApp::new().await;
    let back = round_trip(&app, &[("brev.pdf", &plain), ("brev2.pdf", &modern)]).await;
    for (what, (content_type, bytes)) in ["plain", "object streams"].iter().zip(&back) {
        assert_eq!(content_type, "application/pdf");
        assert!(bytes.starts_with(b"%PDF-"), "{what}");
        for haystack in [bytes.clone(), pdf_text(bytes)] {
            for needle in [
                AUTHOR,
                TITLE,
                GPS_TEXT,
                "/Author",
                "/Title",
                "/Producer",
                "CreationDate",
                "<x:xmpmeta",
                "http://ns.adobe.com/xap",
                "xpacket",
            ] {
                assert!(
                    !contains(&haystack, needle.as_bytes()),
                    "{what}: {needle} is still in the file"
                );
            }
        }
        let doc = lopdf::Document::load_mem(bytes).unwrap();
        assert_eq!(doc.get_pages().len(), 1, "{what}");
        assert!(
            contains(&pdf_text(bytes), b"Hei Vera, her er brevet."),
            "{what}: the letter itself is kept"
        );
    }
}

#[tokio::test]
async fn a_file_name_loses_its_bidirectional_controls() {
    let app = TestApp::new().await;
    // Shown as "rapportfdp.png" with the right-to-left override; it is a PDF.
    let back_name = {
        let owner = app.world.owner_client;
        let mut client = english(&app, users::OWNER_CLIENT).await;
        let r = app
            .post_files(
                &mut client,
                &format!("/clients/{owner}/messages"),
                &[("subject", "Report"), ("body", "The report.")],
                &[("rapport\u{202E}gnp.pdf", &pdf_with_metadata(false))],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let thread = r.location().unwrap().split('#').next().unwrap().to_string();
        let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
        let page = app.get(&mut counselor, &thread).await;
        assert!(!page.body.contains('\u{202E}'), "{}", page.body);
        assert!(page.body.contains("rapportgnp.pdf"), "{}", page.body);
        let link = page
            .body
            .split(&format!("/clients/{owner}/attachments/"))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let (_, headers, _) = app
            .get_bytes(
                &mut counselor,
                &format!("/clients/{owner}/attachments/{link}"),
            )
            .await;
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_string()
    };
    assert!(!back_name.contains("%E2%80%AE"), "{back_name}");
    assert!(
        back_name.contains("filename=\"rapportgnp.pdf\""),
        "{back_name}"
    );
}
