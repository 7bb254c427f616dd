@pin
Feature: PIN — entry, encryption and retries
  The PIN is typed on the PIN pad, shown only as asterisks, leaves the terminal only as a format 0
  PIN block encrypted under the PIK, and never appears in clear on a screen, a voucher or the
  acquirer's journal. A wrong PIN is declined with 55 and may be retried; too many tries end with 75.

  # The host spoils the MAC of its 55 decline: the terminal verifies a reply's MAC only when F39 = 00 (cup8583.md
  # §3.6, §5.3), so the decline is still the acquirer's answer (shown as 密码错, not 解包校验不符) and leaves no
  # reversal (§3.8: a valid reply deletes the record); the retry is the next request.
  @CUP-PIN-001 @severity:critical @mandatory @pinpad @contact
  Scenario: Wrong PIN is declined with 55, and a retry with the right PIN is approved once
    Given the host will corrupt the MAC of its reply to the next sale request
    When the operator selects "消费"
    And the operator enters the amount 77.00
    And the cardholder inserts card UP-DEBIT-IC
    And the cardholder enters a wrong PIN
    Then the screen shows "密码错"
    And the host answered it with "55"
    When the cardholder retries with the correct PIN
    Then the screen shows "交易成功"
    And the host approved the last sale request
    And the card UP-DEBIT-IC is debited 77.00

  @CUP-PIN-002 @severity:critical @mandatory @pinpad @magstripe @printer
  Scenario: PIN tries exceeded is declined with 75 and nothing is charged
    Given the card UP-DEBIT-PINLOCK has all its PIN tries left
    When the operator selects "消费"
    And the operator enters the amount 20.00
    And the cardholder swipes card UP-DEBIT-PINLOCK
    And the cardholder enters a wrong PIN as many times as the issuer allows
    Then the screen shows "密码错误次数超限"
    And the host answered it with "75"
    And the balance of card UP-DEBIT-PINLOCK is unchanged
    And no voucher is printed

  @CUP-PIN-003 @severity:blocker @mandatory @pinpad @contact @printer
  Scenario: The PIN is never in clear on screen, voucher or host journal
    When a sale of 18.00 is made with card UP-DEBIT-IC by inserting
    Then the PIN was shown only as asterisks
    And the PIN appears on no screen
    And the PIN appears on no voucher
    And the PIN appears nowhere in the host journal
    And the host received a sale request
    And it carries an encrypted PIN block

  @CUP-PIN-004 @severity:critical @mandatory @pinpad @magstripe
  Scenario: PIN block in ISO format 0 under the PIK, verified by the acquirer
    When a sale of 19.00 is made with card UP-DEBIT-MAG by swiping
    Then the host received a sale request
    And it carries an encrypted PIN block
    And its security control says PIN format "2"
    And its entry mode is "021"
    And the acquirer verified the PIN
    And the host approved it

  @CUP-PIN-005 @severity:normal @mandatory @pinpad @magstripe @contact
  Scenario Outline: The entry mode says whether a PIN was entered (<read>)
    When a sale of 21.00 is made with card <card> by <reading>
    Then the host received a sale request
    And its entry mode is "<mode>"
    And its field 26 is present

    Examples:
      | read   | card         | reading   | mode |
      | swipe  | UP-DEBIT-MAG | swiping   | 021  |
      | insert | UP-DEBIT-IC  | inserting | 051  |

  @CUP-PIN-006 @severity:normal @mandatory @pinpad @sm4 @contact
  Scenario: PIN block encrypted with SM4 when the terminal uses 国密 keys
    Given the terminal uses SM4 keys
    When a sale of 22.00 is made with card UP-DEBIT-IC by inserting
    Then the host received a sale request
    And its PIN block is encrypted with "sm4"
    And the acquirer verified the PIN

  @CUP-PIN-007 @severity:critical @mandatory @pinpad @magstripe
  Scenario Outline: A PIN of <length> digits, the <bound> format 0 allows, is taken and verified
    # ISO 9564-1 format 0 carries PINs of 4 to 12 digits (cup8583.md §5.5): a terminal takes both ends.
    When a sale of 23.00 is made with card <card> by swiping
    Then the host received a sale request
    And it carries an encrypted PIN block
    And the acquirer verified the PIN

    Examples:
      | length | bound    | card           |
      | 4      | shortest | UP-DEBIT-PIN4  |
      | 12     | longest  | UP-DEBIT-PIN12 |
