@settlement
Feature: Settlement (结算) — totals, batch upload and the next batch
  At the end of the day the terminal sends its batch totals (0500, field 48). If the acquirer agrees
  the batch is closed; if not, the terminal uploads its transactions (0320) so the acquirer can
  reconcile. Either way the batch empties and the batch number advances. A pending reversal must go
  first so that the totals are right.

  # The Background's settlement closes what earlier cases left in the batch; it is judged like any
  # other (balanced, the terminal's totals equal what the host booked) before the case's own batch.
  Background:
    Given the terminal's batch has been settled

  @CUP-STL-001 @severity:critical @mandatory @contact
  Scenario: Balanced settlement
    Given a sale of 100.00 was approved for card UP-DEBIT-IC by inserting
    And a sale of 50.00 was approved for card UP-CREDIT-IC by inserting
    When the operator settles the batch
    Then the terminal completed the settlement
    And the host received a settlement request
    And the settlement totals the terminal sent equal the host's totals
    And the settlement totals show 2 debits totalling 150.00
    And the host answered the settlement as balanced
    And any batch upload after the balanced settlement is one the profile allows

  @CUP-STL-002 @severity:critical @mandatory @contact
  # The acquirer refuses the reversal of the 20.00 sale (96), every time it comes, and keeps the
  # sale booked, while the terminal has given the reversal up (on the reply, or after its retries;
  # cup8583.md §3.8 leaves which replies end a reversal open): the totals differ and the terminal
  # must upload its batch.
  Scenario: Unbalanced settlement leads to a batch upload and then a balanced batch
    Given a sale of 100.00 was approved for card UP-DEBIT-IC by inserting
    And the host will corrupt the MAC of its reply to the next sale request
    And a sale of 20.00 is made with card UP-DEBIT-IC by inserting
    And the host will refuse every reversal request with response code "96"
    When the operator settles the batch
    Then the host answered the settlement as unbalanced
    And the terminal uploaded every transaction of its batch
    And the host received a batch upload end
    And the acquirer closed the settled batch with every uploaded record
    And the terminal completed the settlement

  @CUP-STL-003 @severity:critical @mandatory @contact
  Scenario: After settlement the batch number advances and the batch is empty
    Given a sale of 30.00 was approved for card UP-DEBIT-IC by inserting
    When the operator settles the batch
    Then the terminal completed the settlement
    And the host answered the settlement as balanced
    When a sale of 31.00 is made with card UP-DEBIT-IC by inserting
    Then the host received a sale request
    And its batch number is one more than the settled batch
    When the operator settles the batch
    Then the settlement totals show 1 debit totalling 31.00
    And the host answered the settlement as balanced

  @CUP-STL-004 @severity:critical @mandatory @contact
  Scenario: A pending reversal goes to the host before the settlement
    Given a sale of 40.00 was approved for card UP-DEBIT-IC by inserting
    And the host will not answer the next sale request
    When a sale of 41.00 is made with card UP-DEBIT-IC by inserting
    And the operator settles the batch
    Then the host received a reversal of the last sale with reason "98"
    And the reversal reached the host before the settlement request
    And the settlement totals show 1 debit totalling 40.00
    And the host answered the settlement as balanced

  @CUP-STL-005 @severity:normal @mandatory @contact
  Scenario: Voids and refunds are counted in the settlement totals
    Given a sale of 100.00 was approved for card UP-DEBIT-IC by inserting
    And the last transaction was refunded 20.00 with card UP-DEBIT-IC by inserting
    And a sale of 60.00 was approved for card UP-DEBIT-IC by inserting
    And the last transaction was voided with card UP-DEBIT-IC by inserting
    When the operator settles the batch
    Then the settlement totals the terminal sent equal the host's totals
    And the host answered the settlement as balanced

  @CUP-STL-006 @severity:normal @mandatory
  Scenario: Settling an empty batch
    When the operator settles the batch
    Then the settlement totals show 0 debits totalling 0.00
    And the host answered the settlement as balanced

  # The refund (a credit) leaves the 消费/SALE row as it is; a 退货/REFUND row, where the slip prints one, must
  # show it (drivers/slip-fields.ts judges every settlement slip's refund row against the batch the host holds).
  @CUP-STL-007 @severity:normal @mandatory @printer @contact
  Scenario: The settlement slip shows the totals
    Given a sale of 12.34 was approved for card UP-DEBIT-IC by inserting
    And a sale of 7.66 was approved for card UP-CREDIT-IC by inserting
    And the last transaction was refunded 5.00 with card UP-CREDIT-IC by inserting
    When the operator settles the batch
    Then a settlement slip is printed
    And the slip shows "结算"
    And the slip shows the merchant, terminal and batch numbers
    And the slip shows the count and total of the sales the host recorded
    And the host answered the settlement as balanced

  @CUP-STL-008 @severity:normal @mandatory @contact @acquirer-profile
  Scenario: Bill payments are counted in the settlement totals
    Given a bill payment of 75.00 to "国网上海市电力公司" account "310000123456" was approved for card UP-DEBIT-IC
    And a sale of 25.00 was approved for card UP-DEBIT-IC by inserting
    When the operator settles the batch
    Then the settlement totals show 2 debits totalling 100.00
    And the host answered the settlement as balanced

  # The card declines the 33.00 sale the acquirer approved (its issuer authentication data is
  # corrupted): the terminal reverses it, the acquirer refuses the reversal and keeps the sale, so
  # the totals differ and every chip record goes up (cup8583.md §3.10): the TC of the 88.00 sale
  # (205) and the failed-IC record of the 33.00 one (206), each matched by the acquirer. A balance inquiry the card
  # also declines (its ARPC corrupted) is no transaction of the batch and leaves no record to upload.
  # The terminal is power cycled before it settles: the records a settlement uploads are what it keeps
  # across power loss, so a terminal that forgets a failed-IC record or a chip sale's TC at a power cut
  # leaves them out of the upload.
  @CUP-STL-009 @severity:critical @mandatory @contact
  Scenario: After an unbalanced settlement the chip sales go up as TC and failed-IC records the acquirer matches
    Given a sale of 88.00 was approved for card UP-DEBIT-IC by inserting
    And the host will corrupt the issuer authentication data of its reply to the next sale request
    And a sale of 33.00 is made with card UP-DEBIT-IC by inserting
    And the host will refuse every reversal request with response code "96"
    And the host will corrupt the issuer authentication data of its reply to the next balance inquiry request
    And a balance inquiry is made with card UP-DEBIT-IC by inserting
    And the terminal is power cycled
    When the operator settles the batch
    Then the host answered the settlement as unbalanced
    And the chip sales of the settled batch reached the host as TC records matched to their originals
    And the sale the card declined reached the host as a failed-IC record matched to its original
    And the acquirer closed the settled batch with every uploaded record
    And the terminal completed the settlement

  # After a balanced settlement a terminal uploads its TC records (203) or nothing, as its profile
  # declares (balancedUpload); either way the batch is closed with the records the acquirer took.
  @CUP-STL-010 @severity:normal @mandatory @contact
  Scenario: After a balanced settlement the chip sales go up as TC records when the terminal declares it
    Given a sale of 45.00 was approved for card UP-DEBIT-IC by inserting
    When the operator settles the batch
    Then the host answered the settlement as balanced
    And the chip sales of the settled batch reached the host as TC records matched to their originals
    And the acquirer closed the settled batch with every uploaded record

  # The acquirer answers the first upload message and not the second; the power goes while the
  # terminal waits. After the restart the terminal finishes the upload: it may send the message in
  # flight again (the acquirer tolerates that duplicate), never one the acquirer had acknowledged.
  @CUP-STL-011 @severity:critical @mandatory @contact
  Scenario: A batch upload cut by a power failure resumes without resending what the acquirer acknowledged
    Given a sale of 21.00 was approved for card UP-DEBIT-IC by inserting
    And a sale of 22.00 was approved for card UP-DEBIT-IC by inserting
    And the host will corrupt the MAC of its reply to the next sale request
    And a sale of 23.00 is made with card UP-DEBIT-IC by inserting
    And the host will refuse every reversal request with response code "96"
    And the host will answer the first batch upload message and not the second
    When the power is cut during the settlement once the host has received 2 batch upload messages
    And the power comes back
    And the operator settles the batch
    Then the host answered the settlement as unbalanced
    And after the restart the terminal resumed the upload without resending acknowledged records
    And the chip sales of the settled batch reached the host as TC records matched to their originals
    And the acquirer closed the settled batch with every uploaded record

  # The acquirer refuses the settlement (0510 with F39 96): nothing is settled (cup8583.md §3.9, §7),
  # so the terminal keeps its batch and settles the same batch, with the same totals, next time.
  @CUP-STL-012 @severity:critical @mandatory @contact
  Scenario: A settlement the acquirer refuses leaves the batch to be settled again
    Given a sale of 26.00 was approved for card UP-DEBIT-IC by inserting
    And the host will answer the next settlement request with response code "96"
    When the operator settles the batch
    And the operator settles the batch
    Then the terminal settled the refused batch again with the same totals
    And the settlement totals show 1 debit totalling 26.00
    And the host answered the settlement as balanced

  # A settlement the cash register starts (TTP §6.9 `settle`) ends with a result like any other: a 0500 the
  # acquirer leaves unanswered is `ok: true`, `approved: false` with the outcome of the final screen (a
  # failure, §7.6), not an error, and the terminal stays usable: the next request settles the batch, the
  # result `approved` with the 0510's F39 (cup8583.md §3.9) and the final screen's outcome. A 0510 that refuses
  # the settlement (F39 96) is a failure too, and the result names that F39 (TTP §6.9 responseCode). The
  # terminal has just been powered on: a cash-register request is accepted at idle (TTP §6.9 1.1), the first
  # idle after boot as any later one.
  @CUP-STL-014 @severity:normal @mandatory
  Scenario: A settlement started from the cash register tells it how the settlement ended
    Given the terminal is power cycled
    And the host will answer the next settlement request with response code "96"
    When the cash register requests a settlement
    Then the cash register receives a failure
    Given the host will not answer the next settlement request
    When the cash register requests a settlement
    Then the cash register receives a failure
    When the cash register requests a settlement
    Then the cash register receives an approval
    And the host answered the settlement as balanced

  # After an unbalanced settlement the magstripe sale goes up in a list (0320, 60.3 201): F48 = count +
  # 40-digit items (card organisation, original trace, PAN, amount), each naming a transaction of the
  # batch (cup8583.md §3.10); the end message's count closes the batch with every record the acquirer took.
  @CUP-STL-013 @severity:critical @mandatory @contact @magstripe
  Scenario: After an unbalanced settlement the magstripe sales go up in lists that match the batch
    Given a sale of 18.00 was approved for card UP-DEBIT-MAG by swiping
    And a sale of 19.00 was approved for card UP-DEBIT-IC by inserting
    And the last transaction was voided with card UP-DEBIT-IC by inserting
    And the host will corrupt the MAC of its reply to the next sale request
    And a sale of 20.00 is made with card UP-DEBIT-IC by inserting
    And the host will refuse every reversal request with response code "96"
    When the operator settles the batch
    Then the host answered the settlement as unbalanced
    And every record the terminal listed in its batch upload matches a transaction of the batch
    And the acquirer closed the settled batch with every uploaded record

  # The acquirer answers the 0500 (unbalanced) and leaves the first 0320 of the batch upload, the TC record of the
  # 24.00 chip sale, unanswered; at the next request it answers the record and not the end message (0320 202). Each
  # settlement ends with a result the cash register is told (TTP §6.9: `ok: true`, a failure when nothing answered,
  # the final screen's outcome, §7.6), not an error; a terminal may send the unanswered message again (cup8583.md
  # §3.10 is silent). The batch stays open until its upload is done (§3.10), so the third request finishes it and
  # the acquirer closes the batch with every record.
  @CUP-STL-015 @severity:normal @mandatory @contact
  Scenario: A batch upload the acquirer leaves unanswered ends the settlement with a result, and a later settlement finishes it
    Given a sale of 24.00 was approved for card UP-DEBIT-IC by inserting
    And the host will corrupt the MAC of its reply to the next sale request
    And a sale of 25.00 is made with card UP-DEBIT-IC by inserting
    And the host will refuse every reversal request with response code "96"
    And the host will not answer the next batch upload request
    When the cash register requests a settlement
    Then the cash register is told how the settlement ended
    Given the host will answer the first batch upload message and not the second
    When the cash register requests a settlement
    Then the cash register is told how the settlement ended
    When the cash register requests a settlement
    Then the cash register receives an approval
    And the acquirer closed the settled batch with every uploaded record

  # A card the acquirer answers with a 63.1 other than CUP (here VIS) is a foreign card (外卡, cup8583.md §2.6).
  # The terminal cannot know that before the reply, so every terminal that sends the card online books it on the
  # 外卡 side of its 0500 F48 (§3.9; LY decides 内卡 / 外卡 by 63.1 == CUP), prints 外卡组织 on its vouchers (§6)
  # and flags its batch-upload records 01 (§3.10); a refund names the original's organisation in 63.1, or 000 (§2.6,
  # judged by CUP-MSG-001). The first settlement is balanced on both sides (a foreign sale voided later counts as a
  # debit, its void and the refund as credits); in the second the acquirer keeps a foreign sale whose reversal it
  # refuses, so the 外卡 side is unbalanced and the foreign records go up in the 201 lists.
  @CUP-STL-016 @severity:critical @mandatory @magstripe
  Scenario: A foreign card is settled on the foreign side and uploaded as foreign
    Given the terminal accepts foreign cards
    And a sale of 16.00 was approved for card UP-DEBIT-MAG by swiping
    And a sale of 61.00 was approved for card VISA-CREDIT-MAG by swiping
    And the last transaction was refunded 5.00 with card VISA-CREDIT-MAG by swiping
    And a sale of 6.10 was approved for card VISA-CREDIT-MAG by swiping
    And the last transaction was voided with card VISA-CREDIT-MAG by swiping
    When the operator settles the batch
    Then the terminal completed the settlement
    And the settlement totals the terminal sent equal the host's totals
    And the host answered the settlement as balanced
    Given a sale of 62.00 was approved for card VISA-CREDIT-MAG by swiping
    And the host will corrupt the MAC of its reply to the next sale request
    And a sale of 63.00 is made with card VISA-CREDIT-MAG by swiping
    And the host will refuse every reversal request with response code "96"
    When the operator settles the batch
    Then the host answered the settlement as unbalanced
    And every record the terminal listed in its batch upload matches a transaction of the batch
    And the acquirer closed the settled batch with every uploaded record
    And the terminal completed the settlement
