//! RFC 4733 §5 examples from ../shared/testdata/vectors/rfc4733_telephone_event.json.

use heron_rtp::dtmf::{DtmfReceiver, DtmfSender, TelephoneEvent};
use heron_rtp::rtp::RtpPacket;
use serde_json::Value;
use std::time::{Duration, Instant};

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/vectors/rfc4733_telephone_event.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("vector file")).expect("json")
}

#[test]
fn figure3_event_packet_decodes() {
    let v = vectors();
    let fig = &v["figures"][0];
    let bytes = hex::decode(fig["packet_hex_derived"].as_str().unwrap()).unwrap();
    let p = RtpPacket::parse(&bytes).unwrap();
    let f = &fig["fields"];
    assert_eq!(u64::from(p.payload_type()), f["PT"].as_u64().unwrap());
    assert_eq!(u64::from(p.sequence_number()), f["seq"].as_u64().unwrap());
    assert_eq!(u64::from(p.timestamp()), f["timestamp"].as_u64().unwrap());
    let te = TelephoneEvent::parse(p.payload()).unwrap();
    assert_eq!(u64::from(te.event), f["event"].as_u64().unwrap());
    assert_eq!(te.end, f["E"].as_u64().unwrap() == 1);
    assert_eq!(u64::from(te.volume), f["volume"].as_u64().unwrap());
    assert_eq!(u64::from(te.duration), f["duration"].as_u64().unwrap());
    assert_eq!(
        te.to_bytes().to_vec(),
        hex::decode(fig["payload_hex_derived"].as_str().unwrap()).unwrap()
    );
}

#[test]
fn table5_received_gives_911() {
    let v = vectors();
    let t0 = Instant::now();
    let mut r = DtmfReceiver::new(8000);
    let mut got = Vec::new();
    for row in v["table5_event_reporting"].as_array().unwrap() {
        let te = TelephoneEvent {
            event: row["event"].as_u64().unwrap() as u8,
            end: row["e"].as_u64().unwrap() == 1,
            volume: 20,
            duration: row["duration"].as_u64().unwrap() as u16,
        };
        let now = t0 + Duration::from_millis(row["time_ms"].as_u64().unwrap());
        for e in r
            .on_packet(
                now,
                row["timestamp"].as_u64().unwrap() as u32,
                &te.to_bytes(),
            )
            .unwrap()
            .into_iter()
            .flatten()
        {
            got.push(e);
        }
    }
    let digits: String = got.iter().map(|e| e.digit).collect();
    assert_eq!(digits, "911");
    let ms: Vec<_> = got.iter().map(|e| e.duration.as_millis()).collect();
    assert_eq!(ms, vec![200, 250, 220]);
}

#[test]
fn sender_reproduces_the_third_key_press_of_table5() {
    let v = vectors();
    // '1' for 220 ms = 1760 units at 8 kHz in 50 ms (400-unit) packets.
    let mut s = DtmfSender::new(400);
    s.send('1', 1760, 20).unwrap();
    let sent: Vec<_> = std::iter::from_fn(|| s.poll()).collect();
    // Sequence numbers 14.. in the table map to sent[seq - 14].
    let mut checked = 0;
    for row in v["table5_event_reporting"].as_array().unwrap() {
        if row["timestamp"].as_u64() != Some(11200) {
            continue;
        }
        let i = (row["seq"].as_u64().unwrap() - 14) as usize;
        let p = &sent[i];
        assert_eq!(p.start, row["m"].as_u64().unwrap() == 1, "row {row}");
        assert_eq!(
            u64::from(p.payload.duration),
            row["duration"].as_u64().unwrap(),
            "row {row}"
        );
        assert_eq!(p.payload.end, row["e"].as_u64().unwrap() == 1, "row {row}");
        checked += 1;
    }
    assert_eq!(checked, 4);
    assert_eq!(sent.len(), 7);
    assert!(sent[6].last);
}
