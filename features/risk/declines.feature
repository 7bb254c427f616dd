@risk
Feature: Risk — declined cards and issuer answers
  A declined transaction must look declined: the message the UnionPay rules recommend for the
  response code (cup8583.md §7, or a wording the terminal declares as its synonym), no voucher, no
  money moved. A card the issuer reports lost or stolen must be shown as such (§7: 挂失卡 / 被窃卡,
  action 没收), never as approved.

  Scenario Outline: <case> card is declined with <code> and the right message
    When the operator selects "消费"
    And the operator enters the amount <amount>
    And the cardholder swipes card <card>
    And the cardholder enters the correct PIN
    Then the screen shows the message for response code "<code>"
    And no screen showed "交易成功"
    And the host answered it with "<code>"
    And the balance of card <card> is unchanged
    And no voucher is printed

    @CUP-RSK-001 @severity:critical @mandatory @magstripe @printer
    Examples: lost
      | case | amount | card    | code | message |
      | Lost | 10.00  | UP-LOST | 41   | 挂失卡  |

    @CUP-RSK-002 @severity:critical @mandatory @magstripe @printer
    Examples: stolen
      | case   | amount | card      | code | message |
      | Stolen | 10.00  | UP-STOLEN | 43   | 被窃卡  |

    @CUP-RSK-004 @severity:critical @mandatory @magstripe @printer
    Examples: insufficient funds
      | case        | amount | card           | code | message      |
      | Low-balance | 50.00  | UP-LOW-BALANCE | 51   | 可用余额不足 |

  @CUP-RSK-003 @severity:critical @mandatory @magstripe @printer
  # A terminal may refuse an expired swiped card itself or send it for the issuer's 54 (该卡已过期):
  # both are conformant; it must do what its profile declares (magstripeExpiry) and never approve it.
  Scenario: Expired swiped card is refused locally or by the issuer, never approved
    When a sale of 10.00 is made with card UP-EXPIRED by swiping
    Then the expired card is refused as the terminal declares
    And no screen showed "交易成功"
    And the balance of card UP-EXPIRED is unchanged
    And no voucher is printed

  @CUP-RSK-005 @severity:critical @mandatory @magstripe
  Scenario Outline: Lost and stolen cards are shown as lost / stolen, never approved (<code>)
    When a sale of 10.00 is made with card <card> by swiping
    Then the screen shows the message for response code "<code>"
    And no screen showed "交易成功"
    And the host answered it with "<code>"

    Examples:
      | card      | code |
      | UP-LOST   | 41   |
      | UP-STOLEN | 43   |

  # Every decline code of §7 with a recommended display: each must look declined, in §7's words or
  # a wording the terminal declares for that code (a terminal that shows a bare code fails here).
  # 55 is left to CUP-PIN-001: a terminal may ask the PIN again on it (§7, LY) instead of ending.
  @CUP-RSK-006 @severity:normal @mandatory @contact @printer
  Scenario Outline: Issuer answer <code> is shown as a failure with its message
    Given the host will answer the next sale request with response code "<code>"
    When a sale of 16.00 is made with card UP-DEBIT-IC by inserting
    Then the screen shows the message for response code "<code>"
    And no screen showed "交易成功"
    And the balance of card UP-DEBIT-IC is unchanged
    And no voucher is printed

    Examples:
      | code | message                            |
      | 01   | 请持卡人与发卡银行联系             |
      | 03   | 无效商户                           |
      | 04   | 此卡为无效卡                       |
      | 05   | 持卡人认证失败                     |
      | 12   | 无效交易                           |
      | 13   | 无效金额                           |
      | 14   | 无效卡号                           |
      | 15   | 此卡无对应发卡方                   |
      | 21   | 该卡未初始化或睡眠卡               |
      | 22   | 操作有误                           |
      | 25   | 没有原始交易                       |
      | 30   | 请重试                             |
      | 34   | 作弊卡                             |
      | 38   | 密码错误次数超限                   |
      | 40   | 发卡方不支持的交易                 |
      | 45   | 请使用芯片                         |
      | 51   | 可用余额不足                       |
      | 54   | 该卡已过期                         |
      | 57   | 不允许此卡交易                     |
      | 58   | 发卡方不允许该卡在本终端进行此交易 |
      | 59   | 卡片校验错                         |
      | 61   | 交易金额超限                       |
      | 62   | 受限制的卡                         |
      | 64   | 交易金额与原交易不匹配             |
      | 65   | 超出取款次数限制                   |
      | 68   | 交易超时                           |
      | 75   | 密码错误次数超限                   |
      | 90   | 系统日切                           |
      | 91   | 发卡方状态不正常                   |
      | 92   | 发卡方线路异常                     |
      | 94   | 重复交易                           |
      | 96   | 交换中心异常                       |
      | 97   | 终端号未登记                       |
      | 98   | 发卡方超时                         |
      | 99   | PIN格式错                          |
      | A0   | MAC校验错                          |
      | A1   | 转账货币不一致                     |

  # §7's other approvals: 11 (VIP) and the 有缺陷的成功 codes A2, A4–A6 complete the sale (voucher
  # printed, card debited) and are shown with their recommended display, never as a failure.
  @CUP-RSK-008 @severity:normal @mandatory @magstripe @printer
  Scenario Outline: Issuer approval <code> completes the sale and is shown with its message
    Given the host will approve the next sale request with response code "<code>"
    When a sale of 17.00 is made with card UP-DEBIT-MAG by swiping
    Then the screen shows the message for response code "<code>"
    And the declared voucher copies are printed
    And the card UP-DEBIT-MAG is debited 17.00

    Examples:
      | code | message                      |
      | 11   | 此为VIP客户                  |
      | A2   | 交易成功,请向资金转入行确认  |
      | A4   | 交易成功,请向资金到账行确认  |
      | A5   | 交易成功,请向资金到账行确认  |
      | A6   | 交易成功,请向资金到账行确认  |

  @CUP-RSK-007 @severity:critical @mandatory @contact
  Scenario: Over the card's per-transaction limit is declined with 61
    When a sale of 25,000.00 is made with card UP-CREDIT-IC by inserting
    Then the screen shows the message for response code "61"
    And the host answered it with "61"
    And the balance of card UP-CREDIT-IC is unchanged

  # A prompt left unanswered ends the transaction as timed out (TTP §7.6 outcome timeout: no card / PIN /
  # operator input in time), not as cancelled, which tells the cashier someone pressed 取消. The lab
  # shortens the terminal's card wait (TTP §6.7 config timeouts.cardMs); a terminal that does not let it
  # is not judged by this case.
  @CUP-RSK-027 @severity:normal @mandatory
  Scenario: A card never presented ends the sale as timed out, not cancelled
    Given the terminal waits 1 second for a card
    When the operator selects "消费"
    And the operator enters the amount 12.00
    And nobody presents a card
    Then the transaction ends as timed out
    And the host received no financial request
